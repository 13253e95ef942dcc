package dev.ccserve.attestation.snp;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A parsed, still UNVERIFIED AMD SEV-SNP attestation report (0x4A0 = 1184 bytes; layout in
 * attestation.md section 6.1, all integers little-endian). Parsing checks only the structure:
 * length, a known version, signature algorithm 1 (ECDSA P-384 with SHA-384) and the policy bits
 * that must be set or clear; nothing here is authentic until {@link SnpVerifier} has checked the
 * signature.
 *
 * <p>Layout (offsets in hex): 000 version u32, 004 guest_svn u32, 008 policy u64, 010 family_id
 * [16], 020 image_id [16], 030 vmpl u32, 034 signature_algo u32, 038 current_tcb u64, 040
 * platform_info u64, 048 signer_info u32 (bit 0 author key, bit 1 mask chip key, bits 2-4 signing
 * key), 050 report_data [64], 090 measurement [48], 0C0 host_data [32], 0E0 id_key_digest [48],
 * 110 author_key_digest [48], 140 report_id [32], 160 report_id_ma [32], 180 reported_tcb u64,
 * 1A0 chip_id [64], 1E0 committed_tcb u64, 1E8 current build/minor/major, 1EC committed
 * build/minor/major, 1F0 launch_tcb u64, 2A0 signature (R 72 bytes LE, S 72 bytes LE, zeros).
 *
 * <p>Immutable and thread-safe; byte-array accessors return copies.
 */
public final class SnpReport {
  /** Size of an SNP attestation report. */
  public static final int SIZE = 0x4A0;
  /** End of the signed region: the signature covers bytes [0, 0x2A0). */
  public static final int SIGNED_LENGTH = 0x2A0;

  /** Policy bit 19: the guest may be debugged by the hypervisor. */
  public static final long POLICY_DEBUG = 1L << 19;
  /** Policy bit 18: a migration agent may be associated with the guest. */
  public static final long POLICY_MIGRATE_MA = 1L << 18;
  /** Policy bit 17: reserved, must be one. */
  public static final long POLICY_RESERVED_ONE = 1L << 17;
  /** Policy bit 16: SMT allowed. */
  public static final long POLICY_SMT = 1L << 16;
  /** Policy bit 20: single socket only. */
  public static final long POLICY_SINGLE_SOCKET = 1L << 20;

  private static final long POLICY_KNOWN_BITS = (1L << 26) - 1;
  private static final int FIELD_BYTES = 72;
  private static final BigInteger P384_BOUND = BigInteger.ONE.shiftLeft(384);

  /** The key that signed the report, from signer_info bits 2-4. */
  public enum SigningKey {
    /** Versioned Chip Endorsement Key (per chip, from AMD KDS). */
    VCEK,
    /** Versioned Loaded Endorsement Key (per cloud provider). */
    VLEK
  }

  private final byte[] raw;

  private SnpReport(byte[] raw) {
    this.raw = raw;
  }

  /**
   * Parses exactly {@link #SIZE} bytes.
   *
   * @throws AttestationException MALFORMED for a wrong length or a violated reserved bit,
   *     UNSUPPORTED_FORMAT for an unknown version, signature algorithm or signing key
   */
  public static SnpReport parse(byte[] bytes) throws AttestationException {
    if (bytes == null || bytes.length != SIZE) {
      throw new AttestationException(
          Reason.MALFORMED,
          "snp_report",
          "expected an SNP report of " + SIZE + " bytes, found " + (bytes == null ? 0 : bytes.length));
    }
    SnpReport r = new SnpReport(bytes.clone());
    r.checkStructure();
    return r;
  }

  private void checkStructure() throws AttestationException {
    int version = version();
    if (version < 2 || version > 5) {
      throw new AttestationException(
          Reason.UNSUPPORTED_FORMAT, "snp_report", "expected report version 2..5, found " + version);
    }
    int algo = u32(0x034);
    if (algo != 1) {
      throw new AttestationException(
          Reason.UNSUPPORTED_FORMAT,
          "snp_report",
          "expected signature_algo 1 (ECDSA P-384/SHA-384), found " + Integer.toUnsignedString(algo));
    }
    long policy = policy();
    if ((policy & POLICY_RESERVED_ONE) == 0) {
      throw new AttestationException(
          Reason.MALFORMED, "snp_report", "guest policy bit 17 (reserved) must be 1, found 0");
    }
    if ((policy & ~POLICY_KNOWN_BITS) != 0) {
      throw new AttestationException(
          Reason.MALFORMED,
          "snp_report",
          "guest policy has unknown bits set: 0x" + Long.toHexString(policy & ~POLICY_KNOWN_BITS));
    }
    int key = (signerInfo() >>> 2) & 0x7;
    if (key != 0 && key != 1) {
      throw new AttestationException(
          Reason.UNSUPPORTED_FORMAT,
          "snp_report",
          "expected signing key 0 (VCEK) or 1 (VLEK), found " + key + (key == 7 ? " (none)" : ""));
    }
    for (int i = SIGNED_LENGTH + 2 * FIELD_BYTES; i < SIZE; i++) {
      if (raw[i] != 0) {
        throw new AttestationException(
            Reason.MALFORMED, "snp_report",
            "signature bytes after R and S must be zero, found non-zero at 0x" + Integer.toHexString(i));
      }
    }
    int vmpl = vmpl();
    if (vmpl < 0 || vmpl > 3) {
      throw new AttestationException(
          Reason.MALFORMED, "snp_report", "expected VMPL 0..3, found " + Integer.toUnsignedString(vmpl));
    }
  }

  /** A copy of the 1184 report bytes. */
  public byte[] bytes() {
    return raw.clone();
  }

  /** A copy of the signed region, bytes [0, 0x2A0). */
  public byte[] signedRegion() {
    return Arrays.copyOf(raw, SIGNED_LENGTH);
  }

  public int version() {
    return u32(0x000);
  }

  public int guestSvn() {
    return u32(0x004);
  }

  public long policy() {
    return u64(0x008);
  }

  /** True when guest policy bit 19 (DEBUG) is set. */
  public boolean debug() {
    return (policy() & POLICY_DEBUG) != 0;
  }

  public byte[] familyId() {
    return slice(0x010, 16);
  }

  public byte[] imageId() {
    return slice(0x020, 16);
  }

  public int vmpl() {
    return u32(0x030);
  }

  public long currentTcbRaw() {
    return u64(0x038);
  }

  public long platformInfo() {
    return u64(0x040);
  }

  public int signerInfo() {
    return u32(0x048);
  }

  /** Which key signed the report. */
  public SigningKey signingKey() {
    return ((signerInfo() >>> 2) & 0x7) == 1 ? SigningKey.VLEK : SigningKey.VCEK;
  }

  /** True when the chip key is masked (signer_info bit 1): chip_id is then not meaningful. */
  public boolean chipKeyMasked() {
    return (signerInfo() & 0x2) != 0;
  }

  public byte[] reportData() {
    return slice(0x050, 64);
  }

  public byte[] measurement() {
    return slice(0x090, 48);
  }

  public byte[] hostData() {
    return slice(0x0C0, 32);
  }

  public byte[] idKeyDigest() {
    return slice(0x0E0, 48);
  }

  public byte[] authorKeyDigest() {
    return slice(0x110, 48);
  }

  public byte[] reportId() {
    return slice(0x140, 32);
  }

  public long reportedTcbRaw() {
    return u64(0x180);
  }

  public byte[] chipId() {
    return slice(0x1A0, 64);
  }

  public long committedTcbRaw() {
    return u64(0x1E0);
  }

  public long launchTcbRaw() {
    return u64(0x1F0);
  }

  /** Current firmware version as "major.minor.build". */
  public String currentFirmware() {
    return (raw[0x1EA] & 0xFF) + "." + (raw[0x1E9] & 0xFF) + "." + (raw[0x1E8] & 0xFF);
  }

  /** Signature R as an unsigned big integer (decoded from 72 little-endian bytes). */
  public BigInteger signatureR() {
    return littleEndian(SIGNED_LENGTH);
  }

  /** Signature S as an unsigned big integer (decoded from 72 little-endian bytes). */
  public BigInteger signatureS() {
    return littleEndian(SIGNED_LENGTH + FIELD_BYTES);
  }

  /**
   * The signature in IEEE P1363 form (r || s, 48 bytes each, big-endian), as the JDK's {@code
   * SHA384withECDSAinP1363Format} expects.
   *
   * @throws AttestationException REPORT_SIGNATURE_INVALID when r or s does not fit 384 bits
   */
  byte[] signatureP1363() throws AttestationException {
    BigInteger r = signatureR();
    BigInteger s = signatureS();
    if (r.compareTo(P384_BOUND) >= 0 || s.compareTo(P384_BOUND) >= 0) {
      throw new AttestationException(
          Reason.REPORT_SIGNATURE_INVALID, "report_signature", "signature R or S exceeds 384 bits");
    }
    byte[] out = new byte[96];
    put48(r, out, 0);
    put48(s, out, 48);
    return out;
  }

  private static void put48(BigInteger v, byte[] out, int off) {
    byte[] b = v.toByteArray();
    int len = Math.min(b.length, 48);
    System.arraycopy(b, b.length - len, out, off + 48 - len, len);
  }

  private BigInteger littleEndian(int off) {
    byte[] be = new byte[FIELD_BYTES];
    for (int i = 0; i < FIELD_BYTES; i++) {
      be[i] = raw[off + FIELD_BYTES - 1 - i];
    }
    return new BigInteger(1, be);
  }

  private byte[] slice(int off, int len) {
    return Arrays.copyOfRange(raw, off, off + len);
  }

  private int u32(int off) {
    return (raw[off] & 0xFF)
        | (raw[off + 1] & 0xFF) << 8
        | (raw[off + 2] & 0xFF) << 16
        | (raw[off + 3] & 0xFF) << 24;
  }

  private long u64(int off) {
    return (u32(off) & 0xFFFFFFFFL) | ((long) u32(off + 4)) << 32;
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  @Override
  public String toString() {
    return "SnpReport{version="
        + version()
        + ", policy=0x"
        + Long.toHexString(policy())
        + ", vmpl="
        + vmpl()
        + ", signingKey="
        + signingKey()
        + ", measurement="
        + hex(measurement())
        + "}";
  }
}
