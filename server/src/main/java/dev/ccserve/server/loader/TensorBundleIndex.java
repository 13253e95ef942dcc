package dev.ccserve.server.loader;

import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The index of a TensorFlow checkpoint ("tensor bundle", {@code variables/variables.index} of a
 * SavedModel), read from its bytes: a sorted string table (LevelDB layout: data blocks of
 * prefix-compressed entries, an index block of block handles, a 48-byte footer ending in a magic
 * number) whose key {@code ""} holds the bundle header and every other key a tensor's entry (dtype,
 * shape, shard, byte range in the data file). Only what ccserve needs to restore variables straight
 * from decrypted bytes is decoded; anything it does not handle (compressed blocks, big-endian
 * bundles, sliced tensors) makes {@link #parse} say why in an empty result rather than guess.
 * Immutable.
 */
public final class TensorBundleIndex {
  static final long TABLE_MAGIC = 0xdb4775248b80fb57L;
  private static final int FOOTER_SIZE = 48;
  private static final int BLOCK_TRAILER_SIZE = 5;

  /**
   * One tensor of the bundle: its dtype (TensorFlow DataType number), shape, byte range and the
   * masked CRC-32C TensorFlow recorded for those bytes.
   */
  public record Entry(String name, int dtype, long[] shape, int shard, long offset, long size,
      int maskedCrc32c) {
    public Entry {
      if (offset < 0 || size < 0) {
        throw new IllegalArgumentException("tensor " + name + ": expected a non-negative byte "
            + "range, found offset " + offset + " size " + size);
      }
      shape = shape.clone();
    }

    @Override
    public long[] shape() {
      return shape.clone();
    }

    /** Elements of the shape, or -1 when a dimension is negative (unknown). */
    public long elements() {
      long n = 1;
      for (long d : shape) {
        if (d < 0) {
          return -1;
        }
        n = Math.multiplyExact(n, d);
      }
      return n;
    }
  }

  /** Result of {@link #parse}: the index, or why ccserve cannot use it. */
  public record Parsed(Optional<TensorBundleIndex> index, String unsupported) {}

  private final int numShards;
  private final Map<String, Entry> entries;

  TensorBundleIndex(int numShards, Map<String, Entry> entries) {
    this.numShards = numShards;
    this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
  }

  public int numShards() {
    return numShards;
  }

  /** Entries by tensor name, in key order. */
  public Map<String, Entry> entries() {
    return entries;
  }

  /** The data file of shard {@code shard}, relative to the checkpoint prefix's directory. */
  public static String dataFileName(String prefixName, int shard, int numShards) {
    return String.format(java.util.Locale.ROOT, "%s.data-%05d-of-%05d", prefixName, shard,
        numShards);
  }

  /** Decodes an index file. */
  public static Parsed parse(byte[] table) {
    try {
      return decode(table);
    } catch (IOException | RuntimeException e) {
      return unsupported("the checkpoint index is not a readable tensor-bundle table ("
          + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
    }
  }

  private static Parsed decode(byte[] t) throws IOException {
    if (t.length < FOOTER_SIZE) {
      return unsupported("expected a table of at least " + FOOTER_SIZE + " bytes, found "
          + t.length);
    }
    long magic = littleEndianLong(t, t.length - 8);
    if (magic != TABLE_MAGIC) {
      return unsupported("expected the table magic " + Long.toHexString(TABLE_MAGIC)
          + " at the end of the index, found " + Long.toHexString(magic));
    }
    CodedInputStream footer = CodedInputStream.newInstance(t, t.length - FOOTER_SIZE, 40);
    footer.readRawVarint64(); // metaindex block offset: unused
    footer.readRawVarint64(); // metaindex block size
    long indexOffset = footer.readRawVarint64();
    long indexSize = footer.readRawVarint64();
    int numShards = -1;
    Map<String, Entry> entries = new LinkedHashMap<>();
    for (byte[] handle : block(t, indexOffset, indexSize).values()) {
      CodedInputStream h = CodedInputStream.newInstance(handle);
      long off = h.readRawVarint64();
      long size = h.readRawVarint64();
      for (Map.Entry<String, byte[]> kv : block(t, off, size).entrySet()) {
        if (kv.getKey().isEmpty()) {
          int[] header = header(kv.getValue());
          if (header[1] != 0) {
            return unsupported("the checkpoint is big-endian; ccserve restores little-endian "
                + "checkpoints straight from memory");
          }
          numShards = header[0];
          continue;
        }
        Object e = entry(kv.getKey(), kv.getValue());
        if (e instanceof String why) {
          return unsupported(why);
        }
        entries.put(kv.getKey(), (Entry) e);
      }
    }
    if (numShards < 1) {
      return unsupported("expected a bundle header (empty key) with num_shards >= 1, found "
          + (numShards < 0 ? "none" : Integer.toString(numShards)));
    }
    for (Entry e : entries.values()) {
      if (e.shard() >= numShards) {
        return unsupported("tensor " + e.name() + " is in shard " + e.shard() + " of "
            + numShards);
      }
    }
    return new Parsed(Optional.of(new TensorBundleIndex(numShards, entries)), "");
  }

  /** Key/value pairs of the block at [off, off+size), checking its trailer says uncompressed. */
  private static Map<String, byte[]> block(byte[] t, long off, long size) throws IOException {
    if (off < 0 || size < 4 || off + size + BLOCK_TRAILER_SIZE > t.length - FOOTER_SIZE) {
      throw new IOException("block handle [" + off + ", +" + size + ") lies outside the "
          + t.length + "-byte table");
    }
    int start = (int) off;
    int end = (int) (off + size);
    if (t[end] != 0) {
      throw new IOException("block at " + off + " has compression type " + t[end]
          + "; expected 0 (none)");
    }
    int restarts = (int) littleEndianInt(t, end - 4);
    int entriesEnd = end - 4 - 4 * restarts;
    if (restarts < 1 || entriesEnd < start) {
      throw new IOException("block at " + off + " claims " + restarts + " restart points");
    }
    Map<String, byte[]> out = new LinkedHashMap<>();
    CodedInputStream in = CodedInputStream.newInstance(t, start, entriesEnd - start);
    byte[] key = new byte[0];
    while (!in.isAtEnd()) {
      int shared = in.readRawVarint32();
      int unshared = in.readRawVarint32();
      int valueLength = in.readRawVarint32();
      if (shared < 0 || shared > key.length || unshared < 0 || valueLength < 0) {
        throw new IOException("corrupt entry in block at " + off);
      }
      byte[] next = new byte[shared + unshared];
      System.arraycopy(key, 0, next, 0, shared);
      System.arraycopy(in.readRawBytes(unshared), 0, next, shared, unshared);
      key = next;
      out.put(new String(key, java.nio.charset.StandardCharsets.UTF_8),
          in.readRawBytes(valueLength));
    }
    return out;
  }

  /** {num_shards, endianness} of a BundleHeaderProto. */
  private static int[] header(byte[] value) throws IOException {
    int[] h = {0, 0};
    CodedInputStream in = CodedInputStream.newInstance(value);
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (tag) {
        case (1 << 3) -> h[0] = in.readInt32();
        case (2 << 3) -> h[1] = in.readEnum();
        default -> in.skipField(tag);
      }
    }
    return h;
  }

  /** A BundleEntryProto as an {@link Entry}, or a String saying why it is not supported. */
  private static Object entry(String name, byte[] value) throws IOException {
    int dtype = 0;
    int shard = 0;
    long offset = 0;
    long size = 0;
    int crc = 0;
    List<Long> dims = new ArrayList<>();
    CodedInputStream in = CodedInputStream.newInstance(value);
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (tag) {
        case (1 << 3) -> dtype = in.readEnum();
        case (2 << 3) | 2 -> {
          int limit = in.pushLimit(in.readRawVarint32());
          for (int t = in.readTag(); t != 0; t = in.readTag()) {
            if (t == ((2 << 3) | 2)) {
              int dimLimit = in.pushLimit(in.readRawVarint32());
              long d = 0;
              for (int u = in.readTag(); u != 0; u = in.readTag()) {
                if (u == (1 << 3)) {
                  d = in.readInt64();
                } else {
                  in.skipField(u);
                }
              }
              in.popLimit(dimLimit);
              dims.add(d);
            } else if (t == (3 << 3)) {
              if (in.readBool()) {
                return "tensor " + name + " has an unknown rank";
              }
            } else {
              in.skipField(t);
            }
          }
          in.popLimit(limit);
        }
        case (3 << 3) -> shard = in.readInt32();
        case (4 << 3) -> offset = in.readInt64();
        case (5 << 3) -> size = in.readInt64();
        case (6 << 3) | 5 -> crc = in.readFixed32();
        case (7 << 3) | 2 -> {
          return "tensor " + name + " is saved in slices (a partitioned variable)";
        }
        default -> in.skipField(tag);
      }
    }
    if (shard < 0) {
      return "tensor " + name + " names shard " + shard;
    }
    return new Entry(name, dtype, dims.stream().mapToLong(Long::longValue).toArray(), shard,
        offset, size, crc);
  }

  private static Parsed unsupported(String why) {
    return new Parsed(Optional.empty(), why);
  }

  private static long littleEndianInt(byte[] b, int off) {
    return (b[off] & 0xFFL) | (b[off + 1] & 0xFFL) << 8 | (b[off + 2] & 0xFFL) << 16
        | (b[off + 3] & 0xFFL) << 24;
  }

  private static long littleEndianLong(byte[] b, int off) {
    return littleEndianInt(b, off) | littleEndianInt(b, off + 4) << 32;
  }
}
