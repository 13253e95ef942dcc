package dev.ccserve.attestation.dcap;

import java.util.Arrays;

/**
 * An SGX REPORT body (384 bytes): the ISV enclave report in an SGX quote, and the QE report in
 * every DCAP quote. Offsets are relative to the start of the body (reference §4.2 minus 48).
 * Immutable; accessors return copies.
 */
public final class SgxReportBody {
  /** Size of the structure in bytes. */
  public static final int SIZE = 384;

  /** Attribute flag bits. */
  public static final long FLAG_INIT = 0x1;
  public static final long FLAG_DEBUG = 0x2;
  public static final long FLAG_MODE64BIT = 0x4;
  public static final long FLAG_PROVISION_KEY = 0x10;
  public static final long FLAG_EINITTOKEN_KEY = 0x20;

  private final byte[] raw;

  SgxReportBody(byte[] raw) {
    if (raw.length != SIZE) {
      throw new IllegalArgumentException("SGX report body must be 384 bytes, found " + raw.length);
    }
    this.raw = raw.clone();
  }

  /** The raw 384 bytes (copy). */
  public byte[] raw() {
    return raw.clone();
  }

  private byte[] slice(int off, int len) {
    return Arrays.copyOfRange(raw, off, off + len);
  }

  public byte[] cpuSvn() {
    return slice(0, 16);
  }

  public long miscSelect() {
    return ByteReader.le32(raw, 16);
  }

  public byte[] isvExtProdId() {
    return slice(32, 16);
  }

  /** The 16-byte attributes field (flags u64 then xfrm u64). */
  public byte[] attributes() {
    return slice(48, 16);
  }

  public long flags() {
    return ByteReader.le64(raw, 48);
  }

  public long xfrm() {
    return ByteReader.le64(raw, 56);
  }

  public byte[] mrEnclave() {
    return slice(64, 32);
  }

  public byte[] mrSigner() {
    return slice(128, 32);
  }

  public byte[] configId() {
    return slice(192, 64);
  }

  public int isvProdId() {
    return ByteReader.le16(raw, 256);
  }

  public int isvSvn() {
    return ByteReader.le16(raw, 258);
  }

  public int configSvn() {
    return ByteReader.le16(raw, 260);
  }

  public byte[] isvFamilyId() {
    return slice(304, 16);
  }

  public byte[] reportData() {
    return slice(320, 64);
  }

  public boolean debug() {
    return (flags() & FLAG_DEBUG) != 0;
  }
}
