package dev.ccserve.crypto.key;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;

/**
 * A 16-byte AES-128 wrap key (Gramine's key-derivation key, "KDK") for protected files. The raw
 * bytes never appear in {@link #toString()}, which shows only {@link #id()}, a short SHA-256-based
 * fingerprint that is safe to log and compare. {@link #equals} runs in constant time. Code that
 * must hand the key to a cipher calls the deliberately loud {@link #toCleartextBytes()} and wipes
 * the copy after use. Key files hold exactly the 16 raw bytes, like {@code gramine-sgx-pf-crypt
 * gen-key} writes them. Immutable and thread-safe.
 */
public final class WrapKey {
  /** Length of a wrap key in bytes. */
  public static final int SIZE_BYTES = 16;
  private static final Set<PosixFilePermission> OWNER_READ_WRITE =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

  private final byte[] bytes;
  private final String id;

  private WrapKey(byte[] bytes) {
    this.bytes = bytes;
    this.id = fingerprint(bytes);
  }

  /** A fresh random key. */
  public static WrapKey generate(SecureRandom random) {
    byte[] b = new byte[SIZE_BYTES];
    random.nextBytes(b);
    return new WrapKey(b);
  }

  /**
   * Wraps a copy of {@code keyBytes} (exactly 16 bytes), e.g. as received from a key broker.
   * The caller should wipe its own array afterwards.
   */
  public static WrapKey fromCleartextBytes(byte[] keyBytes) {
    Objects.requireNonNull(keyBytes, "keyBytes");
    if (keyBytes.length != SIZE_BYTES) {
      throw new IllegalArgumentException(
          "wrap key must be " + SIZE_BYTES + " bytes, found " + keyBytes.length);
    }
    return new WrapKey(keyBytes.clone());
  }

  /**
   * Reads a key file holding exactly 16 raw bytes.
   *
   * @throws IOException if the file cannot be read or does not hold exactly 16 bytes (the
   *     message names the expected and found sizes, never the content)
   */
  public static WrapKey readFrom(Path file) throws IOException {
    byte[] buf = new byte[SIZE_BYTES + 1];
    int n = 0;
    try (InputStream in = Files.newInputStream(file)) {
      int r;
      while (n < buf.length && (r = in.read(buf, n, buf.length - n)) > 0) {
        n += r;
      }
    }
    try {
      if (n != SIZE_BYTES) {
        long size = n <= SIZE_BYTES ? n : Files.size(file);
        throw new IOException("wrap key file " + file + ": expected exactly " + SIZE_BYTES
            + " raw bytes, found " + size + " bytes");
      }
      return new WrapKey(java.util.Arrays.copyOf(buf, SIZE_BYTES));
    } finally {
      java.util.Arrays.fill(buf, (byte) 0);
    }
  }

  /**
   * Permissions of {@code keyFile} beyond owner read/write (0600), for a caller that wants to warn;
   * empty when the file is private enough or the file system has no POSIX permissions.
   */
  public static Set<PosixFilePermission> excessPermissions(Path keyFile) throws IOException {
    PosixFileAttributeView view =
        Files.getFileAttributeView(keyFile, PosixFileAttributeView.class);
    if (view == null) {
      return Set.of();
    }
    Set<PosixFilePermission> excess = EnumSet.noneOf(PosixFilePermission.class);
    excess.addAll(view.readAttributes().permissions());
    excess.removeAll(OWNER_READ_WRITE);
    return excess;
  }

  /**
   * Writes the 16 raw bytes to {@code file} with permissions 0600: into a temporary file in the
   * same directory, created 0600, synced, then atomically renamed.
   *
   * @throws FileAlreadyExistsException if {@code file} exists (keys are never overwritten)
   */
  public void writeTo(Path file) throws IOException {
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(file.toString(), null, "refusing to overwrite a key file");
    }
    Path abs = file.toAbsolutePath();
    Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp-" + randomSuffix());
    boolean posix = Files.getFileStore(abs.getParent()).supportsFileAttributeView("posix");
    try {
      if (posix) {
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE));
      } else {
        Files.createFile(tmp);
      }
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes.clone());
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        java.util.Arrays.fill(buf.array(), (byte) 0);
        ch.force(true);
      }
      Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * DANGEROUS: returns a copy of the raw key bytes, for code that must hand them to a cipher or
   * a key broker. Wipe the copy ({@code Arrays.fill(copy, (byte) 0)}) as soon as possible.
   */
  public byte[] toCleartextBytes() {
    return bytes.clone();
  }

  /** Short fingerprint: first 8 bytes (16 hex chars) of SHA-256("ccserve wrap key id\0" || key). */
  public String id() {
    return id;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WrapKey && MessageDigest.isEqual(bytes, ((WrapKey) o).bytes);
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  @Override
  public String toString() {
    return "WrapKey[id=" + id + "]";
  }

  private static String fingerprint(byte[] key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("ccserve wrap key id\0".getBytes(StandardCharsets.US_ASCII));
      byte[] digest = sha.digest(key);
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  private static String randomSuffix() {
    byte[] r = new byte[6];
    new SecureRandom().nextBytes(r);
    return HexFormat.of().formatHex(r);
  }
}
