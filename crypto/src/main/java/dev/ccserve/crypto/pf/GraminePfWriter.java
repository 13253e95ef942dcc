package dev.ccserve.crypto.pf;

import dev.ccserve.crypto.key.WrapKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Writes Gramine protected files (format v2) from a plaintext stream, compatible with
 * {@code gramine-sgx-pf-crypt decrypt} and with Gramine's encrypted mounts.
 *
 * <p>Security guarantees: each node (data, MHT, root MHT) is encrypted under its own fresh random
 * AES-128 key, and the metadata under a key derived from the wrap key and a fresh 32-byte nonce,
 * so two encryptions of the same input differ. The file is bound to {@code boundPath}: a reader
 * (Gramine or {@link GraminePfReader}) opens it only under that path.
 *
 * <p>Output is written to {@code <out>.tmp-<random>} in the same directory, synced, and atomically
 * renamed to {@code out} (replacing an existing file) only when complete; on any failure the
 * temporary file is deleted. The metadata node is written last. Memory: O(1) plus every MHT node
 * of the file (4 KiB per 96 data nodes, about 1% of the file size), because the root of the tree
 * is complete only at the end. Instances are immutable and thread-safe; each call is independent.
 */
public final class GraminePfWriter {
  private static final int WRITE_BUFFER_NODES = 64;

  private final WrapKey wrapKey;
  private final SecureRandom random;

  public GraminePfWriter(WrapKey wrapKey, SecureRandom random) {
    this.wrapKey = Objects.requireNonNull(wrapKey, "wrapKey");
    this.random = Objects.requireNonNull(random, "random");
  }

  /**
   * Encrypts all of {@code plaintext} (not closed here) into {@code out}, bound to
   * {@code boundPath}; returns the plaintext length.
   *
   * @throws IllegalArgumentException if {@code boundPath} is empty, contains NUL or is longer
   *     than 771 UTF-8 bytes
   * @throws ProtectedFileException with reason IO if reading or writing fails
   */
  public long encrypt(InputStream plaintext, Path out, String boundPath)
      throws ProtectedFileException {
    return encrypt(plaintext, out, boundPath, new Progress(ProgressListener.NONE, -1));
  }

  /** Encrypts file {@code in} into {@code out}, reporting plaintext bytes to {@code progress}. */
  public long encryptFile(Path in, Path out, String boundPath, ProgressListener progress)
      throws ProtectedFileException {
    try (InputStream stream = Files.newInputStream(in)) {
      return encrypt(stream, out, boundPath, new Progress(progress, Files.size(in)));
    } catch (ProtectedFileException e) {
      throw e;
    } catch (IOException e) {
      throw ProtectedFileException.io("reading", in, e);
    }
  }

  long encrypt(InputStream plaintext, Path out, String boundPath, Progress progress)
      throws ProtectedFileException {
    byte[] pathBytes = checkBoundPath(boundPath);
    Path abs = out.toAbsolutePath();
    Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp-" + randomHex(6));
    try {
      long size;
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        size = new Job(ch, pathBytes).run(plaintext, progress);
        ch.force(true);
      }
      Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
      progress.report();
      return size;
    } catch (IOException e) {
      throw ProtectedFileException.io("encrypting into", out, e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort: the temp file name is random and never mistaken for output
      }
    }
  }

  private static byte[] checkBoundPath(String boundPath) {
    Objects.requireNonNull(boundPath, "boundPath");
    byte[] b = boundPath.getBytes(StandardCharsets.UTF_8);
    if (b.length == 0 || b.length >= PfFormat.PATH_FIELD_SIZE || boundPath.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("bound path must be 1.." + (PfFormat.PATH_FIELD_SIZE - 1)
          + " UTF-8 bytes without NUL, found " + b.length + " bytes");
    }
    return b;
  }

  private String randomHex(int bytes) {
    byte[] r = new byte[bytes];
    random.nextBytes(r);
    return HexFormat.of().formatHex(r);
  }

  /** State of one encryption. */
  private final class Job {
    private final FileChannel ch;
    private final byte[] pathBytes;
    private final PfCrypto crypto = new PfCrypto();
    private final List<byte[]> mhtNodes = new ArrayList<>();
    private final ByteBuffer pending = ByteBuffer.allocate(WRITE_BUFFER_NODES * PfFormat.NODE_SIZE);
    private long pendingStartNode;
    private long nextNode;

    Job(FileChannel ch, byte[] pathBytes) {
      this.ch = ch;
      this.pathBytes = pathBytes;
    }

    long run(InputStream in, Progress progress) throws IOException {
      byte[] meta = new byte[PfFormat.ENCRYPTED_SIZE];
      byte[] plain = new byte[PfFormat.NODE_SIZE];
      byte[] nodeKey = new byte[PfFormat.KEY_SIZE];
      byte[] ct = new byte[PfFormat.NODE_SIZE];
      try {
        System.arraycopy(pathBytes, 0, meta, 0, pathBytes.length);
        int first = readUpTo(in, meta, PfFormat.REL_FILE_DATA, PfFormat.METADATA_DATA_SIZE);
        long size = first;
        progress.add(first);
        long k = 0;
        while (first == PfFormat.METADATA_DATA_SIZE) {
          int n = readUpTo(in, plain, 0, PfFormat.NODE_SIZE);
          if (n == 0) {
            break;
          }
          Arrays.fill(plain, n, PfFormat.NODE_SIZE, (byte) 0);
          if (k % PfFormat.DATA_ENTRIES_PER_MHT == 0) {
            mhtNodes.add(new byte[PfFormat.NODE_SIZE]);
          }
          byte[] mht = mhtNodes.get((int) (k / PfFormat.DATA_ENTRIES_PER_MHT));
          sealInto(plain, nodeKey, ct, mht, PfFormat.dataEntryOffset(k));
          append(PfFormat.dataNodePhysical(k), ct);
          size += n;
          progress.add(n);
          k++;
          if (n < PfFormat.NODE_SIZE) {
            break;
          }
        }
        flush();
        writeMhtNodes(meta, nodeKey, ct);
        PfFormat.writeLongLe(meta, PfFormat.REL_FILE_SIZE, size);
        writeMetadataNode(meta);
        return size;
      } finally {
        Arrays.fill(meta, (byte) 0);
        Arrays.fill(plain, (byte) 0);
        Arrays.fill(nodeKey, (byte) 0);
        for (byte[] mht : mhtNodes) {
          Arrays.fill(mht, (byte) 0);
        }
      }
    }

    /** Encrypts a node under a fresh key; stores key and tag at {@code entry[entryOff..+32)}. */
    private void sealInto(byte[] plain, byte[] nodeKey, byte[] ct, byte[] entry, int entryOff) {
      random.nextBytes(nodeKey);
      crypto.encrypt(nodeKey, plain, 0, PfFormat.NODE_SIZE, ct, 0, entry,
          entryOff + PfFormat.KEY_SIZE);
      System.arraycopy(nodeKey, 0, entry, entryOff, PfFormat.KEY_SIZE);
    }

    /** Children have higher indices than parents, so descending order seals children first. */
    private void writeMhtNodes(byte[] meta, byte[] nodeKey, byte[] ct) throws IOException {
      for (int m = mhtNodes.size() - 1; m >= 0; m--) {
        byte[] parent;
        int entryOff;
        if (m == 0) {
          parent = meta;
          entryOff = PfFormat.REL_ROOT_KEY; // key at 780, mac at 796: same shape as an entry
        } else {
          parent = mhtNodes.get((int) PfFormat.mhtParent(m));
          entryOff = PfFormat.childEntryOffset(m);
        }
        sealInto(mhtNodes.get(m), nodeKey, ct, parent, entryOff);
        writeAt(PfFormat.mhtNodePhysical(m), ct, 0, PfFormat.NODE_SIZE);
        Arrays.fill(mhtNodes.get(m), (byte) 0);
      }
    }

    private void writeMetadataNode(byte[] meta) throws IOException {
      byte[] node0 = new byte[PfFormat.NODE_SIZE];
      System.arraycopy(PfFormat.FILE_ID, 0, node0, PfFormat.OFF_FILE_ID, PfFormat.FILE_ID.length);
      node0[PfFormat.OFF_MAJOR] = PfFormat.MAJOR_VERSION;
      node0[PfFormat.OFF_MINOR] = PfFormat.MINOR_VERSION;
      byte[] nonce = new byte[PfFormat.NONCE_SIZE];
      random.nextBytes(nonce);
      System.arraycopy(nonce, 0, node0, PfFormat.OFF_NONCE, PfFormat.NONCE_SIZE);
      node0[PfFormat.OFF_FLAGS] = 0;
      byte[] wrap = wrapKey.toCleartextBytes();
      byte[] metadataKey = PfCrypto.deriveMetadataKey(wrap, nonce, 0);
      try {
        crypto.encrypt(metadataKey, meta, 0, PfFormat.ENCRYPTED_SIZE, node0,
            PfFormat.OFF_ENCRYPTED, node0, PfFormat.OFF_MAC);
      } finally {
        Arrays.fill(wrap, (byte) 0);
        Arrays.fill(metadataKey, (byte) 0);
      }
      writeAt(0, node0, 0, PfFormat.NODE_SIZE);
    }

    /** Appends a node at physical index {@code node}; gaps (node 0, MHT nodes) become zeros. */
    private void append(long node, byte[] data) throws IOException {
      while (nextNode <= node) {
        if (!pending.hasRemaining()) {
          flush();
        }
        if (nextNode == node) {
          pending.put(data, 0, PfFormat.NODE_SIZE);
        } else {
          pending.put(new byte[PfFormat.NODE_SIZE]);
        }
        nextNode++;
      }
    }

    private void flush() throws IOException {
      pending.flip();
      long pos = pendingStartNode * PfFormat.NODE_SIZE;
      while (pending.hasRemaining()) {
        pos += ch.write(pending, pos);
      }
      pending.clear();
      pendingStartNode = nextNode;
    }

    private void writeAt(long node, byte[] data, int off, int len) throws IOException {
      ByteBuffer b = ByteBuffer.wrap(data, off, len);
      long pos = node * PfFormat.NODE_SIZE;
      while (b.hasRemaining()) {
        pos += ch.write(b, pos);
      }
    }
  }

  private static int readUpTo(InputStream in, byte[] b, int off, int len) throws IOException {
    int n = 0;
    while (n < len) {
      int r = in.read(b, off + n, len - n);
      if (r < 0) {
        break;
      }
      n += r;
    }
    return n;
  }
}
