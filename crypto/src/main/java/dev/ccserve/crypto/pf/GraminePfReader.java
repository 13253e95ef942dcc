package dev.ccserve.crypto.pf;

import dev.ccserve.crypto.key.WrapKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Reads a Gramine protected file (format v2) sequentially, authenticating everything it returns.
 *
 * <p>Security guarantees: {@link #open} authenticates the metadata node with the wrap key (a wrong
 * key and a modified metadata node are indistinguishable), checks the embedded path against the
 * caller's {@link PathBinding} and checks that the file has all the nodes its authenticated size
 * needs. Every data and MHT node is verified with the key and GCM tag held by its parent before
 * any of its bytes are returned, so modified, swapped, reordered or foreign nodes fail with
 * {@link ProtectedFileException.Reason#AUTHENTICATION_FAILED}. Not detected: rollback to an older
 * complete file encrypted under the same key and path; whole nodes appended after the last needed
 * node (they are never read); the unauthenticated header bytes (minor version, flags, padding).
 *
 * <p>Restrictions: version 1 files and files with the HAS_PENDING_WRITE flag are rejected. Memory:
 * a 128 KiB read-ahead window plus one 4 KiB plaintext node per Merkle-tree level, independent of
 * the file size; {@link #readFully()} adds exactly one array of the plaintext size. Plaintext
 * buffers are wiped on {@link #close()}. Not thread-safe.
 */
public final class GraminePfReader extends InputStream {
  private static final int WINDOW_NODES = 32;

  private final Path file;
  private final FileChannel channel;
  private final long physicalNodes;
  private final long size;
  private final String embeddedPath;
  private final byte[] firstBytes;
  private final byte[] rootEntry;
  private final PfCrypto crypto;

  private final byte[] window = new byte[WINDOW_NODES * PfFormat.NODE_SIZE];
  private long windowStart = -1;
  private int windowNodes;
  private final List<long[]> mhtCacheIndex = new ArrayList<>();
  private final List<byte[]> mhtCachePlain = new ArrayList<>();
  private final byte[] nodePlain = new byte[PfFormat.NODE_SIZE];
  private long nodePlainIndex = -1;
  private long position;
  private boolean closed;

  private GraminePfReader(Path file, FileChannel channel, PfMetadata metadata, PfCrypto crypto) {
    this.crypto = crypto;
    this.file = file;
    this.channel = channel;
    this.physicalNodes = metadata.physicalNodes;
    this.size = metadata.size;
    this.embeddedPath = metadata.embeddedPath;
    this.firstBytes = metadata.firstBytes;
    this.rootEntry = metadata.rootEntry;
  }

  /**
   * Opens {@code file}, authenticates its metadata with {@code key} and checks its embedded path
   * against {@code binding}.
   *
   * @throws ProtectedFileException NOT_A_PROTECTED_FILE, UNSUPPORTED_VERSION,
   *     UNSUPPORTED_FEATURE, AUTHENTICATION_FAILED, PATH_MISMATCH or IO
   */
  public static GraminePfReader open(Path file, WrapKey key, PathBinding binding)
      throws ProtectedFileException {
    FileChannel ch;
    try {
      ch = FileChannel.open(file, StandardOpenOption.READ);
    } catch (IOException e) {
      throw ProtectedFileException.io("opening", file, e);
    }
    try {
      PfCrypto crypto = new PfCrypto();
      GraminePfReader r = new GraminePfReader(file, ch,
          PfMetadata.read(file, ch, key, binding, crypto), crypto);
      ch = null;
      return r;
    } finally {
      closeQuietly(ch);
    }
  }

  /** Convenience: opens, reads all plaintext and closes. */
  public static byte[] decrypt(Path file, WrapKey key, PathBinding binding)
      throws ProtectedFileException {
    try (GraminePfReader r = open(file, key, binding)) {
      return r.readFully();
    }
  }

  /**
   * Decrypts {@code in} into the plaintext file {@code out}: written as
   * {@code <out>.tmp-<random>}, synced and atomically renamed (replacing {@code out}) only when
   * every node has authenticated; on failure the temporary file is deleted. Returns the size.
   */
  public static long decryptToFile(Path in, Path out, WrapKey key, PathBinding binding,
      ProgressListener progress) throws ProtectedFileException {
    Path abs = out.toAbsolutePath();
    byte[] r = new byte[6];
    new SecureRandom().nextBytes(r);
    Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp-" + HexFormat.of().formatHex(r));
    byte[] buf = new byte[64 * 1024];
    try (GraminePfReader reader = open(in, key, binding)) {
      Progress p = new Progress(progress, reader.size());
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        int n;
        while ((n = reader.read(buf, 0, buf.length)) > 0) {
          ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
          while (b.hasRemaining()) {
            ch.write(b);
          }
          p.add(n);
        }
        ch.force(true);
      } catch (ProtectedFileException e) {
        throw e;
      } catch (IOException e) {
        throw ProtectedFileException.io("writing", out, e);
      }
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw ProtectedFileException.io("renaming into", out, e);
      }
      p.report();
      return reader.size();
    } finally {
      Arrays.fill(buf, (byte) 0);
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort: random temporary name
      }
    }
  }

  /**
   * What can be learned about {@code file} without the key: header fields and, from the node
   * count, the plaintext size range.
   *
   * @throws ProtectedFileException NOT_A_PROTECTED_FILE (bad size or file id) or IO
   */
  public static ProtectedFileInfo inspect(Path file) throws ProtectedFileException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long physical = ch.size();
      PfMetadata.checkPhysicalSize(file, physical);
      byte[] node0 = PfMetadata.readNode0(file, ch);
      if (!PfFormat.hasFileId(node0)) {
        throw PfMetadata.notProtected(file, "no \"GRAFS_PF\" file id at offset 0");
      }
      int major = node0[PfFormat.OFF_MAJOR] & 0xFF;
      int flags = major == PfFormat.MAJOR_VERSION ? node0[PfFormat.OFF_FLAGS] & 0xFF : 0;
      return ProtectedFileInfo.of(physical, major, node0[PfFormat.OFF_MINOR] & 0xFF, flags);
    } catch (ProtectedFileException e) {
      throw e;
    } catch (IOException e) {
      throw ProtectedFileException.io("inspecting", file, e);
    }
  }

  /** Cheap sniff without the key: size is a non-zero multiple of 4096 and the file id matches. */
  public static boolean isProtectedFile(Path file) {
    try {
      inspect(file);
      return true;
    } catch (ProtectedFileException e) {
      return false;
    }
  }

  /**
   * Runs the node decryption path (AES-GCM with a fresh key per node, as in a protected file) on
   * {@code nodes} throw-away nodes of zeros, no file involved, so the JIT has compiled it before a
   * real model is decrypted: in a just-started JVM the first ~100 MB otherwise decrypt several
   * times slower. A server calls it on a background thread while it attests. Returns the number
   * of nodes that authenticated (all of them; a smaller number means the cipher is broken).
   */
  public static int warmUp(int nodes) {
    PfCrypto crypto = new PfCrypto();
    byte[] key = new byte[PfFormat.KEY_SIZE];
    byte[] plain = new byte[PfFormat.NODE_SIZE];
    byte[] sealed = new byte[PfFormat.NODE_SIZE];
    byte[] tag = new byte[PfFormat.MAC_SIZE];
    int ok = 0;
    for (int i = 0; i < nodes; i++) {
      key[0] = (byte) i;
      key[1] = (byte) (i >>> 8);
      crypto.encrypt(key, plain, 0, plain.length, sealed, 0, tag, 0);
      if (crypto.decrypt(key, 0, sealed, 0, sealed.length, tag, 0, plain, 0)) {
        ok++;
      }
    }
    return ok;
  }

  /**
   * Warms the whole read path — metadata, Merkle-tree walk, read-ahead window and node decryption,
   * from the first byte and from a {@link #seek}, as the model loader reads — so that the JIT has
   * compiled it before a real model is decrypted. It writes a throw-away protected file of
   * {@code bytes} zeros under a random key that is then forgotten (no model data, nothing secret)
   * into {@code dir}, reads it {@code passes} times and deletes it. A server calls it on a
   * background thread while it attests; {@link #warmUp(int)} is the fallback when no directory
   * is writable. Returns the bytes read.
   *
   * @throws ProtectedFileException when the file cannot be written or read back
   */
  public static long warmUpFile(Path dir, int bytes, int passes) throws ProtectedFileException {
    SecureRandom random = new SecureRandom();
    WrapKey key = WrapKey.generate(random);
    String name = "ccserve-warm-up-" + HexFormat.of().formatHex(random.generateSeed(6)) + ".pf";
    Path file = dir.resolve(name);
    try {
      new GraminePfWriter(key, random).encrypt(new java.io.ByteArrayInputStream(new byte[bytes]),
          file, name);
      byte[] chunk = new byte[256 * 1024];
      long total = 0;
      for (int p = 0; p < passes; p++) {
        try (GraminePfReader r = open(file, key, PathBinding.suffix(name))) {
          r.seek(p % 2 == 0 ? 0 : Math.min(r.size(), PfFormat.METADATA_DATA_SIZE + 1));
          int n;
          while ((n = r.read(chunk, 0, chunk.length)) > 0) {
            total += n;
          }
        }
      }
      return total;
    } finally {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // a leftover file of encrypted zeros under a forgotten key; nothing to protect
      }
    }
  }

  /**
   * What a server runs before its first protected model arrives: {@link #warmUpFile} with 16 MiB
   * read twice in {@code java.io.tmpdir} (an in-enclave tmpfs under Gramine), or, when that
   * cannot be written, {@link #warmUp(int)} on 8192 nodes. Takes 1–2 s of one core here; a first
   * 100 MB decryption then runs at about the steady-state speed instead of half of it.
   */
  public static void warmUpForLoading() {
    try {
      warmUpFile(Path.of(System.getProperty("java.io.tmpdir")), 16 << 20, 2);
    } catch (ProtectedFileException | RuntimeException e) {
      warmUp(8192);
    }
  }

  /** Plaintext length, as authenticated by the metadata. */
  public long size() {
    return size;
  }

  /** The path embedded in the metadata (authenticated; UTF-8, lossily decoded if invalid). */
  public String embeddedPath() {
    return embeddedPath;
  }

  /** Bytes returned so far. */
  public long position() {
    return position;
  }

  /**
   * Moves the read position to {@code newPosition} (0 ≤ it ≤ {@link #size()}); the next read
   * authenticates the node there through the Merkle tree, so several readers of one file can each
   * decrypt their own part in parallel.
   *
   * @throws IllegalArgumentException if {@code newPosition} is outside the file
   */
  public void seek(long newPosition) {
    if (newPosition < 0 || newPosition > size) {
      throw new IllegalArgumentException("expected a position in [0, " + size + "], found "
          + newPosition);
    }
    position = newPosition;
  }

  /**
   * Reads and authenticates all remaining plaintext into a new array of exactly that length.
   *
   * @throws ProtectedFileException TOO_LARGE if it does not fit a Java array, or as {@link #read}
   */
  public byte[] readFully() throws ProtectedFileException {
    long remaining = size - position;
    if (remaining > Integer.MAX_VALUE - 16) {
      throw new ProtectedFileException(ProtectedFileException.Reason.TOO_LARGE, "protected file "
          + file + " has " + remaining + " bytes left, more than a Java array holds ("
          + (Integer.MAX_VALUE - 16) + "); read it as a stream");
    }
    byte[] out = new byte[(int) remaining];
    readAllInto(out);
    return out;
  }

  /**
   * Reads all remaining plaintext into the start of {@code destination}; returns its length. On
   * failure the written part of {@code destination} is wiped.
   *
   * @throws IllegalArgumentException if {@code destination} is shorter than the remaining bytes
   */
  public int readAllInto(byte[] destination) throws ProtectedFileException {
    long remaining = size - position;
    if (destination.length < remaining) {
      throw new IllegalArgumentException("destination holds " + destination.length
          + " bytes, " + remaining + " remain");
    }
    try {
      int n = read(destination, 0, (int) remaining);
      return Math.max(n, 0);
    } catch (ProtectedFileException e) {
      Arrays.fill(destination, 0, (int) remaining, (byte) 0);
      throw e;
    }
  }

  @Override
  public int read() throws ProtectedFileException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws ProtectedFileException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (closed) {
      throw new ProtectedFileException(ProtectedFileException.Reason.IO,
          "protected file " + file + " is closed");
    }
    if (len == 0) {
      return 0;
    }
    if (position >= size) {
      return -1;
    }
    int total = 0;
    while (len > 0 && position < size) {
      int n = position < PfFormat.METADATA_DATA_SIZE ? readFromMetadata(b, off, len)
          : readFromDataNode(b, off, len);
      position += n;
      off += n;
      len -= n;
      total += n;
    }
    return total;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    Arrays.fill(firstBytes, (byte) 0);
    Arrays.fill(rootEntry, (byte) 0);
    Arrays.fill(nodePlain, (byte) 0);
    for (byte[] p : mhtCachePlain) {
      Arrays.fill(p, (byte) 0);
    }
    closeQuietly(channel);
  }

  private int readFromMetadata(byte[] b, int off, int len) {
    int p = (int) position;
    int n = (int) Math.min(Math.min(len, PfFormat.METADATA_DATA_SIZE - p), size - p);
    System.arraycopy(firstBytes, p, b, off, n);
    return n;
  }

  private int readFromDataNode(byte[] b, int off, int len) throws ProtectedFileException {
    long rel = position - PfFormat.METADATA_DATA_SIZE;
    long k = rel / PfFormat.NODE_SIZE;
    int inNode = (int) (rel % PfFormat.NODE_SIZE);
    int available = (int) Math.min(PfFormat.NODE_SIZE - inNode, size - position);
    if (inNode == 0 && available == PfFormat.NODE_SIZE && len >= PfFormat.NODE_SIZE) {
      decryptDataNode(k, b, off); // straight into the caller's array: no extra copy
      return PfFormat.NODE_SIZE;
    }
    if (nodePlainIndex != k) {
      nodePlainIndex = -1;
      decryptDataNode(k, nodePlain, 0);
      nodePlainIndex = k;
    }
    int n = Math.min(len, available);
    System.arraycopy(nodePlain, inNode, b, off, n);
    return n;
  }

  private void decryptDataNode(long k, byte[] out, int outOff) throws ProtectedFileException {
    byte[] mht = mhtNode(k / PfFormat.DATA_ENTRIES_PER_MHT);
    int entry = PfFormat.dataEntryOffset(k);
    int w = windowOffset(PfFormat.dataNodePhysical(k));
    if (!crypto.decrypt(mht, entry, window, w, PfFormat.NODE_SIZE, mht,
        entry + PfFormat.KEY_SIZE, out, outOff)) {
      Arrays.fill(out, outOff, outOff + PfFormat.NODE_SIZE, (byte) 0);
      throw ProtectedFileException.authenticationFailed(file);
    }
  }

  /** Plaintext of MHT node {@code m}, from the per-level cache or decrypted via its parent. */
  private byte[] mhtNode(long m) throws ProtectedFileException {
    int depth = depthOf(m);
    while (mhtCacheIndex.size() <= depth) {
      mhtCacheIndex.add(new long[] {-1});
      mhtCachePlain.add(new byte[PfFormat.NODE_SIZE]);
    }
    long[] cachedIndex = mhtCacheIndex.get(depth);
    byte[] plain = mhtCachePlain.get(depth);
    if (cachedIndex[0] == m) {
      return plain;
    }
    byte[] parent = m == 0 ? rootEntry : mhtNode(PfFormat.mhtParent(m));
    int entry = m == 0 ? 0 : PfFormat.childEntryOffset(m);
    int w = windowOffset(PfFormat.mhtNodePhysical(m));
    cachedIndex[0] = -1;
    if (!crypto.decrypt(parent, entry, window, w, PfFormat.NODE_SIZE, parent,
        entry + PfFormat.KEY_SIZE, plain, 0)) {
      throw ProtectedFileException.authenticationFailed(file);
    }
    cachedIndex[0] = m;
    return plain;
  }

  private static int depthOf(long m) {
    int d = 0;
    while (m > 0) {
      m = PfFormat.mhtParent(m);
      d++;
    }
    return d;
  }

  /** Offset in {@link #window} of physical node {@code node}, reading ahead as needed. */
  private int windowOffset(long node) throws ProtectedFileException {
    if (windowStart >= 0 && node >= windowStart && node < windowStart + windowNodes) {
      return (int) (node - windowStart) * PfFormat.NODE_SIZE;
    }
    if (node >= physicalNodes) {
      throw ProtectedFileException.authenticationFailed(file);
    }
    int count = (int) Math.min(WINDOW_NODES, physicalNodes - node);
    windowStart = -1;
    ByteBuffer buf = ByteBuffer.wrap(window, 0, count * PfFormat.NODE_SIZE);
    try {
      long pos = node * PfFormat.NODE_SIZE;
      while (buf.hasRemaining()) {
        int r = channel.read(buf, pos);
        if (r < 0) {
          throw ProtectedFileException.authenticationFailed(file); // shrank while open
        }
        pos += r;
      }
    } catch (ProtectedFileException e) {
      throw e;
    } catch (IOException e) {
      throw ProtectedFileException.io("reading", file, e);
    }
    windowStart = node;
    windowNodes = count;
    return 0;
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // nothing useful to do: the channel was only read
      }
    }
  }
}
