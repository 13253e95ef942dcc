package dev.ccserve.attestation.snp;

/**
 * A decoded SEV-SNP TCB_VERSION: the security patch levels (SPLs) of the firmware components that
 * the AMD Secure Processor reports and that a VCEK is derived from.
 *
 * <p>The 8 raw bytes are laid out per product (see {@link SnpProduct}); {@code fmc} is always 0 on
 * Milan and Genoa. {@code raw} is the little-endian 64-bit value as it appears in the report.
 * Immutable and thread-safe.
 *
 * @param raw the TCB_VERSION as a little-endian u64
 * @param fmc FMC SPL (Turin and later; 0 otherwise)
 * @param bootloader bootloader SPL (KDS {@code blSPL})
 * @param tee TEE SPL (KDS {@code teeSPL})
 * @param snp SNP firmware SPL (KDS {@code snpSPL})
 * @param microcode microcode SPL (KDS {@code ucodeSPL})
 */
public record SnpTcb(long raw, int fmc, int bootloader, int tee, int snp, int microcode) {

  public SnpTcb {
    checkByte("fmc", fmc);
    checkByte("bootloader", bootloader);
    checkByte("tee", tee);
    checkByte("snp", snp);
    checkByte("microcode", microcode);
  }

  /** Decodes a little-endian TCB_VERSION with the layout of {@code product}. */
  public static SnpTcb decode(long raw, SnpProduct product) {
    int[] b = new int[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (int) (raw >>> (8 * i)) & 0xFF;
    }
    if (product.turinTcbLayout()) {
      return new SnpTcb(raw, b[0], b[1], b[2], b[3], b[7]);
    }
    return new SnpTcb(raw, 0, b[0], b[1], b[6], b[7]);
  }

  /** True when every component is at least the corresponding component of {@code other}. */
  public boolean atLeast(SnpTcb other) {
    return fmc >= other.fmc
        && bootloader >= other.bootloader
        && tee >= other.tee
        && snp >= other.snp
        && microcode >= other.microcode;
  }

  /** True when the SPLs (not necessarily the reserved bytes) equal those of {@code other}. */
  public boolean sameSpls(SnpTcb other) {
    return fmc == other.fmc
        && bootloader == other.bootloader
        && tee == other.tee
        && snp == other.snp
        && microcode == other.microcode;
  }

  /** The KDS query form, e.g. {@code blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68}. */
  public String kdsQuery(SnpProduct product) {
    String q = "blSPL=" + bootloader + "&teeSPL=" + tee + "&snpSPL=" + snp + "&ucodeSPL=" + microcode;
    return product.turinTcbLayout() ? "fmcSPL=" + fmc + "&" + q : q;
  }

  private static void checkByte(String name, int v) {
    if (v < 0 || v > 255) {
      throw new IllegalArgumentException(name + " SPL must be 0..255, found " + v);
    }
  }
}
