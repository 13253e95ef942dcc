package dev.ccserve.crypto.pf;

/**
 * What a protected file reveals without its key (see {@link GraminePfReader#inspect}): header
 * fields, which are not authenticated, and the plaintext size range implied by the node count
 * (the exact size is inside the encrypted metadata). {@code layoutConsistent} is false when the
 * node count cannot come from a writer (for example whole nodes were appended); the range then
 * assumes the extra nodes are trailing. {@code featureFlags} is 0 for version 1 files, which have
 * no flags byte. Immutable.
 *
 * @param physicalSizeBytes host file size, a non-zero multiple of 4096
 * @param majorVersion format major version (2 is supported; 1 is legacy)
 * @param minorVersion format minor version
 * @param featureFlags v2 flags byte; bit 0 = HAS_PENDING_WRITE
 * @param nodeCount physical 4096-byte nodes
 * @param layoutConsistent whether some plaintext size produces exactly {@code nodeCount} nodes
 * @param minPlaintextBytes smallest plaintext size consistent with the node count
 * @param maxPlaintextBytes largest plaintext size consistent with the node count
 */
public record ProtectedFileInfo(long physicalSizeBytes, int majorVersion, int minorVersion,
    int featureFlags, long nodeCount, boolean layoutConsistent, long minPlaintextBytes,
    long maxPlaintextBytes) {

  public ProtectedFileInfo {
    if (physicalSizeBytes <= 0 || physicalSizeBytes % PfFormat.NODE_SIZE != 0) {
      throw new IllegalArgumentException(
          "physical size must be a non-zero multiple of 4096, found " + physicalSizeBytes);
    }
    if (nodeCount != physicalSizeBytes / PfFormat.NODE_SIZE) {
      throw new IllegalArgumentException("node count " + nodeCount + " does not match size "
          + physicalSizeBytes);
    }
    if (minPlaintextBytes < 0 || minPlaintextBytes > maxPlaintextBytes) {
      throw new IllegalArgumentException("bad plaintext range [" + minPlaintextBytes + ", "
          + maxPlaintextBytes + "]");
    }
  }

  /** Whether ccserve can open it: version 2 without HAS_PENDING_WRITE. */
  public boolean supported() {
    return majorVersion == PfFormat.MAJOR_VERSION && !hasPendingWrite();
  }

  public boolean hasPendingWrite() {
    return (featureFlags & PfFormat.FLAG_HAS_PENDING_WRITE) != 0;
  }

  static ProtectedFileInfo of(long physical, int major, int minor, int flags) {
    long nodes = physical / PfFormat.NODE_SIZE;
    if (nodes == 1) {
      return new ProtectedFileInfo(physical, major, minor, flags, nodes, true, 0,
          PfFormat.METADATA_DATA_SIZE);
    }
    // largest data-node count d with 1 + d + ceil(d / 96) <= nodes
    long d = (nodes - 1) * PfFormat.DATA_ENTRIES_PER_MHT / (PfFormat.DATA_ENTRIES_PER_MHT + 1);
    while (1 + (d + 1) + PfFormat.mhtNodeCount(d + 1) <= nodes) {
      d++;
    }
    while (d > 0 && 1 + d + PfFormat.mhtNodeCount(d) > nodes) {
      d--;
    }
    long max = PfFormat.METADATA_DATA_SIZE + d * PfFormat.NODE_SIZE;
    boolean consistent = d > 0 && 1 + d + PfFormat.mhtNodeCount(d) == nodes;
    long min = consistent ? max - PfFormat.NODE_SIZE + 1 : 0;
    return new ProtectedFileInfo(physical, major, minor, flags, nodes, consistent, min, max);
  }
}
