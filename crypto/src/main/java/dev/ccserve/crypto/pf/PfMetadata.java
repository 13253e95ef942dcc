package dev.ccserve.crypto.pf;

import dev.ccserve.crypto.key.WrapKey;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The authenticated content of a protected file's metadata node (see {@link PfFormat} for the
 * layout), and the checks that produce it: size, file id, version, flags, the metadata GCM tag
 * under the key derived from the wrap key, the path binding, and that the file holds every node
 * its authenticated size needs. Holds plaintext ({@code firstBytes}) and node keys
 * ({@code rootEntry}); the owner wipes them. Not thread-safe.
 */
final class PfMetadata {
  final long physicalNodes;
  final long size;
  final String embeddedPath;
  final byte[] firstBytes;
  final byte[] rootEntry;

  private PfMetadata(long physicalNodes, long size, String embeddedPath, byte[] firstBytes,
      byte[] rootEntry) {
    this.physicalNodes = physicalNodes;
    this.size = size;
    this.embeddedPath = embeddedPath;
    this.firstBytes = firstBytes;
    this.rootEntry = rootEntry;
  }

  /** Reads, checks and authenticates node 0 of {@code file}; checks the path binding. */
  static PfMetadata read(Path file, FileChannel ch, WrapKey key, PathBinding binding,
      PfCrypto crypto) throws ProtectedFileException {
    long physical;
    byte[] node0;
    try {
      physical = ch.size();
      checkPhysicalSize(file, physical);
      node0 = readNode0(file, ch);
    } catch (ProtectedFileException e) {
      throw e;
    } catch (IOException e) {
      throw ProtectedFileException.io("reading", file, e);
    }
    checkHeader(file, node0);
    byte[] meta = new byte[PfFormat.ENCRYPTED_SIZE];
    try {
      decryptMetadata(file, node0, key, meta, crypto);
      String embedded = checkPath(file, meta, binding);
      long size = PfFormat.readLongLe(meta, PfFormat.REL_FILE_SIZE);
      long needed = size < 0 ? Long.MAX_VALUE : PfFormat.physicalNodeCount(size);
      if (needed > physical / PfFormat.NODE_SIZE) {
        throw ProtectedFileException.authenticationFailed(file); // truncated by whole nodes
      }
      byte[] first = Arrays.copyOfRange(meta, PfFormat.REL_FILE_DATA,
          PfFormat.REL_FILE_DATA + PfFormat.METADATA_DATA_SIZE);
      byte[] root = Arrays.copyOfRange(meta, PfFormat.REL_ROOT_KEY,
          PfFormat.REL_ROOT_KEY + PfFormat.ENTRY_SIZE);
      return new PfMetadata(physical / PfFormat.NODE_SIZE, size, embedded, first, root);
    } finally {
      Arrays.fill(meta, (byte) 0);
    }
  }

  private static void checkHeader(Path file, byte[] node0) throws ProtectedFileException {
    if (!PfFormat.hasFileId(node0)) {
      throw notProtected(file, "no \"GRAFS_PF\" file id at offset 0");
    }
    int major = node0[PfFormat.OFF_MAJOR] & 0xFF;
    if (major != PfFormat.MAJOR_VERSION) {
      throw new ProtectedFileException(ProtectedFileException.Reason.UNSUPPORTED_VERSION,
          "protected file " + file + ": expected format major version 2, found " + major
              + (major == PfFormat.LEGACY_MAJOR_VERSION
                  ? " (legacy v1; re-encrypt it with a current gramine-sgx-pf-crypt or ccserve)"
                  : ""));
    }
    if ((node0[PfFormat.OFF_FLAGS] & PfFormat.FLAG_HAS_PENDING_WRITE) != 0) {
      throw new ProtectedFileException(ProtectedFileException.Reason.UNSUPPORTED_FEATURE,
          "protected file " + file + " has the HAS_PENDING_WRITE flag set (an interrupted "
              + "Gramine write with crash recovery); ccserve does not do recovery");
    }
  }

  private static void decryptMetadata(Path file, byte[] node0, WrapKey key, byte[] meta,
      PfCrypto crypto) throws ProtectedFileException {
    byte[] wrap = key.toCleartextBytes();
    byte[] metadataKey = PfCrypto.deriveMetadataKey(wrap, node0, PfFormat.OFF_NONCE);
    try {
      if (!crypto.decrypt(metadataKey, 0, node0, PfFormat.OFF_ENCRYPTED,
          PfFormat.ENCRYPTED_SIZE, node0, PfFormat.OFF_MAC, meta, 0)) {
        throw ProtectedFileException.authenticationFailed(file);
      }
    } finally {
      Arrays.fill(wrap, (byte) 0);
      Arrays.fill(metadataKey, (byte) 0);
    }
  }

  private static String checkPath(Path file, byte[] meta, PathBinding binding)
      throws ProtectedFileException {
    int len = 0;
    while (len < PfFormat.PATH_FIELD_SIZE && meta[len] != 0) {
      len++;
    }
    if (len == PfFormat.PATH_FIELD_SIZE) {
      throw notProtected(file, "embedded path is not NUL-terminated");
    }
    String strict = null;
    try {
      strict = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(meta, 0, len)).toString();
    } catch (CharacterCodingException e) {
      // not UTF-8: can only match insecureAny()
    }
    String shown = strict != null ? strict : new String(meta, 0, len, StandardCharsets.UTF_8);
    boolean ok = binding.isInsecure() || (strict != null && binding.matches(strict));
    if (!ok) {
      throw new ProtectedFileException(ProtectedFileException.Reason.PATH_MISMATCH,
          "protected file " + file + " is bound to path \"" + shown + "\"; expected " + binding);
    }
    return shown;
  }

  static void checkPhysicalSize(Path file, long physical) throws ProtectedFileException {
    if (physical == 0 || physical % PfFormat.NODE_SIZE != 0) {
      throw notProtected(file, "expected a size that is a non-zero multiple of 4096 bytes, found "
          + physical);
    }
  }

  static byte[] readNode0(Path file, FileChannel ch) throws IOException {
    byte[] node0 = new byte[PfFormat.NODE_SIZE];
    ByteBuffer buf = ByteBuffer.wrap(node0);
    long pos = 0;
    while (buf.hasRemaining()) {
      int r = ch.read(buf, pos);
      if (r < 0) {
        throw notProtected(file, "file shorter than one 4096-byte node");
      }
      pos += r;
    }
    return node0;
  }

  static ProtectedFileException notProtected(Path file, String detail) {
    return new ProtectedFileException(ProtectedFileException.Reason.NOT_A_PROTECTED_FILE,
        "not a Gramine protected file: " + file + ": " + detail);
  }
}
