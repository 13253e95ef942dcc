package dev.ccserve.crypto.pf;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The one exception type of the protected-file boundary. Every authentication failure (wrong wrap
 * key, a modified byte in any node, swapped or reordered nodes, truncation by whole nodes) carries
 * {@link Reason#AUTHENTICATION_FAILED} and the same message, which names only the host file: it
 * never reveals which node failed, key material or plaintext. Structural problems that need no key
 * to find (not a protected file, unsupported version) and path-binding mismatches say what was
 * expected and what was found; paths are not secret. It extends {@link IOException} so that
 * {@link GraminePfReader} can be used as an {@link java.io.InputStream}. Immutable.
 */
public final class ProtectedFileException extends IOException {
  private static final long serialVersionUID = 1L;
  private static final int MAX_MESSAGE_CHARS = 1024;

  /** Coarse cause, for diagnostics and for mapping to exit codes or status codes. */
  public enum Reason {
    /** Size is not a non-zero multiple of 4096, or the file id "GRAFS_PF" is missing. */
    NOT_A_PROTECTED_FILE,
    /** Major version other than 2 (version 1 files are not supported). */
    UNSUPPORTED_VERSION,
    /** A feature ccserve does not support, e.g. the HAS_PENDING_WRITE (crash-recovery) flag. */
    UNSUPPORTED_FEATURE,
    /** Wrong key or the file was modified, truncated, reordered or spliced. Uniform message. */
    AUTHENTICATION_FAILED,
    /** The authenticated embedded path does not satisfy the caller's {@link PathBinding}. */
    PATH_MISMATCH,
    /** The plaintext does not fit the requested destination (e.g. a Java array). */
    TOO_LARGE,
    /** Reading or writing the host file system failed. */
    IO
  }

  private final Reason reason;

  ProtectedFileException(Reason reason, String message) {
    this(reason, message, null);
  }

  ProtectedFileException(Reason reason, String message, Throwable cause) {
    super(truncate(message), cause);
    this.reason = reason;
  }

  /** The uniform authentication failure for {@code file}. */
  static ProtectedFileException authenticationFailed(Path file) {
    return new ProtectedFileException(Reason.AUTHENTICATION_FAILED,
        "protected file " + file + " failed authentication (wrong wrap key, or the file was "
            + "modified, truncated, reordered or assembled from other files)");
  }

  static ProtectedFileException io(String what, Path file, IOException cause) {
    String detail = cause.getClass().getSimpleName()
        + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    return new ProtectedFileException(Reason.IO, what + " " + file + " failed: " + detail, cause);
  }

  public Reason reason() {
    return reason;
  }

  private static String truncate(String message) {
    return message.length() <= MAX_MESSAGE_CHARS
        ? message : message.substring(0, MAX_MESSAGE_CHARS - 3) + "...";
  }
}
