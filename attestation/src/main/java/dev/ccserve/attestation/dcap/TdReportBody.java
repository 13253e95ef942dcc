package dev.ccserve.attestation.dcap;

import java.util.Arrays;

/**
 * A TDX TD report body as carried in a quote: TD 1.0 (584 bytes) or TD 1.5 (648 bytes, adds
 * tee_tcb_svn2 and mr_servicetd). Offsets relative to the body start (reference §4.3 minus 48).
 * Immutable; accessors return copies.
 */
public final class TdReportBody {
  public static final int SIZE_TD10 = 584;
  public static final int SIZE_TD15 = 648;
  /** td_attributes bit 0. */
  public static final long TD_ATTR_DEBUG = 0x1;

  private final byte[] raw;

  TdReportBody(byte[] raw) {
    if (raw.length != SIZE_TD10 && raw.length != SIZE_TD15) {
      throw new IllegalArgumentException("TD report body must be 584 or 648 bytes, found " + raw.length);
    }
    this.raw = raw.clone();
  }

  public byte[] raw() {
    return raw.clone();
  }

  public boolean isTd15() {
    return raw.length == SIZE_TD15;
  }

  private byte[] slice(int off, int len) {
    return Arrays.copyOfRange(raw, off, off + len);
  }

  public byte[] teeTcbSvn() {
    return slice(0, 16);
  }

  public byte[] mrSeam() {
    return slice(16, 48);
  }

  public byte[] mrSignerSeam() {
    return slice(64, 48);
  }

  public byte[] seamAttributes() {
    return slice(112, 8);
  }

  public byte[] tdAttributes() {
    return slice(120, 8);
  }

  public long tdAttributesValue() {
    return ByteReader.le64(raw, 120);
  }

  public byte[] xfam() {
    return slice(128, 8);
  }

  public byte[] mrTd() {
    return slice(136, 48);
  }

  public byte[] mrConfigId() {
    return slice(184, 48);
  }

  public byte[] mrOwner() {
    return slice(232, 48);
  }

  public byte[] mrOwnerConfig() {
    return slice(280, 48);
  }

  /** RTMR {@code i} (0..3). */
  public byte[] rtmr(int i) {
    if (i < 0 || i > 3) {
      throw new IllegalArgumentException("rtmr index 0..3, found " + i);
    }
    return slice(328 + 48 * i, 48);
  }

  public byte[] reportData() {
    return slice(520, 64);
  }

  /** TD 1.5 only: tee_tcb_svn2 (16 bytes), else empty. */
  public byte[] teeTcbSvn2() {
    return isTd15() ? slice(584, 16) : new byte[0];
  }

  /** TD 1.5 only: mr_servicetd (48 bytes), else empty. */
  public byte[] mrServiceTd() {
    return isTd15() ? slice(600, 48) : new byte[0];
  }

  public boolean debug() {
    return (tdAttributesValue() & TD_ATTR_DEBUG) != 0;
  }
}
