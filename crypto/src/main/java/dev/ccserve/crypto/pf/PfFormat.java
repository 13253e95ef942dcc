package dev.ccserve.crypto.pf;

import java.nio.charset.StandardCharsets;

/**
 * Byte layout and Merkle-tree placement of Gramine protected files, format version 2.
 *
 * <p>All integers are little-endian and all structs packed. A file is a sequence of 4096-byte
 * nodes. Physical node 0 is the metadata node:
 *
 * <pre>
 *   off  size  field
 *     0     8  file_id "GRAFS_PF" (u64 0x46505F5346415247)
 *     8     1  major_version = 2
 *     9     1  minor_version = 0            (not authenticated)
 *    10    32  metadata_key_nonce           (fresh per write)
 *    42    16  metadata_mac: GCM tag over the encrypted part
 *    58     1  feature_flags, bit 0 HAS_PENDING_WRITE (not authenticated)
 *    59  3884  encrypted part, AES-128-GCM under the metadata key:
 *                 +0   772  file_path, NUL-terminated, zero-filled
 *               +772     8  file_size (plaintext length)
 *               +780    16  root_mht_node_key
 *               +796    16  root_mht_node_mac
 *               +812  3072  file_data: plaintext bytes [0, 3072)
 *  3943   153  padding (zero, not authenticated)
 * </pre>
 *
 * <p>An MHT node holds 96 data-node entries {key 16, mac 16} followed by 32 child-MHT entries.
 * Data node k (plaintext bytes [3072 + 4096k, 3072 + 4096(k+1))) belongs to MHT node k / 96 and
 * lives at physical node k + 2 + k / 96; MHT node m lives at physical node 1 (m = 0) or 97m + 1,
 * and its parent is MHT (m - 1) / 32, entry (m - 1) mod 32. Stateless; thread-safe.
 */
final class PfFormat {
  static final int NODE_SIZE = 4096;
  static final byte[] FILE_ID = "GRAFS_PF".getBytes(StandardCharsets.US_ASCII);
  static final int MAJOR_VERSION = 2;
  static final int LEGACY_MAJOR_VERSION = 1;
  static final int MINOR_VERSION = 0;

  static final int OFF_FILE_ID = 0;
  static final int OFF_MAJOR = 8;
  static final int OFF_MINOR = 9;
  static final int OFF_NONCE = 10;
  static final int NONCE_SIZE = 32;
  static final int OFF_MAC = 42;
  static final int MAC_SIZE = 16;
  static final int KEY_SIZE = 16;
  static final int OFF_FLAGS = 58;
  static final int OFF_ENCRYPTED = 59;
  static final int ENCRYPTED_SIZE = 3884;
  static final int FLAG_HAS_PENDING_WRITE = 0x01;

  // offsets inside the decrypted metadata part
  static final int PATH_FIELD_SIZE = 772;
  static final int REL_FILE_SIZE = 772;
  static final int REL_ROOT_KEY = 780;
  static final int REL_ROOT_MAC = 796;
  static final int REL_FILE_DATA = 812;
  static final int METADATA_DATA_SIZE = 3072;

  static final int DATA_ENTRIES_PER_MHT = 96;
  static final int CHILD_ENTRIES_PER_MHT = 32;
  static final int ENTRY_SIZE = KEY_SIZE + MAC_SIZE;
  static final int CHILD_ENTRIES_OFFSET = DATA_ENTRIES_PER_MHT * ENTRY_SIZE;

  private PfFormat() {}

  /** Number of data nodes for a plaintext of {@code fileSize} bytes. */
  static long dataNodeCount(long fileSize) {
    if (fileSize <= METADATA_DATA_SIZE) {
      return 0;
    }
    return ceilDiv(fileSize - METADATA_DATA_SIZE, NODE_SIZE);
  }

  /** Number of MHT nodes for {@code dataNodes} data nodes. */
  static long mhtNodeCount(long dataNodes) {
    return ceilDiv(dataNodes, DATA_ENTRIES_PER_MHT);
  }

  /** Physical nodes a writer produces for {@code fileSize} plaintext bytes. */
  static long physicalNodeCount(long fileSize) {
    long d = dataNodeCount(fileSize);
    return 1 + d + mhtNodeCount(d);
  }

  static long dataNodePhysical(long k) {
    return k + 2 + k / DATA_ENTRIES_PER_MHT;
  }

  static long mhtNodePhysical(long m) {
    return m == 0 ? 1 : 97 * m + 1;
  }

  static long mhtParent(long m) {
    return (m - 1) / CHILD_ENTRIES_PER_MHT;
  }

  /** Byte offset, inside the parent's plaintext, of the entry for child MHT node {@code m >= 1}. */
  static int childEntryOffset(long m) {
    return CHILD_ENTRIES_OFFSET + (int) ((m - 1) % CHILD_ENTRIES_PER_MHT) * ENTRY_SIZE;
  }

  /** Byte offset, inside its MHT node's plaintext, of the entry for data node {@code k}. */
  static int dataEntryOffset(long k) {
    return (int) (k % DATA_ENTRIES_PER_MHT) * ENTRY_SIZE;
  }

  static boolean hasFileId(byte[] node0) {
    for (int i = 0; i < FILE_ID.length; i++) {
      if (node0[OFF_FILE_ID + i] != FILE_ID[i]) {
        return false;
      }
    }
    return true;
  }

  static long readLongLe(byte[] b, int off) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[off + i] & 0xFF);
    }
    return v;
  }

  static void writeLongLe(byte[] b, int off, long v) {
    for (int i = 0; i < 8; i++) {
      b[off + i] = (byte) (v >>> (8 * i));
    }
  }

  /** Ceiling of a / b for a >= 0, b > 0, without overflow for any long a. */
  private static long ceilDiv(long a, long b) {
    return a / b + (a % b == 0 ? 0 : 1);
  }
}
