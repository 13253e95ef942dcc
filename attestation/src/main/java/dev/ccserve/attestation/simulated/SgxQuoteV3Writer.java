package dev.ccserve.attestation.simulated;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Writes SGX DCAP quote v3 structures byte by byte (reference §4.1, §4.2, §4.4). All integers are
 * little-endian. Used only by the simulated TEE.
 */
final class SgxQuoteV3Writer {
  private SgxQuoteV3Writer() {}

  /** Fields of an SGX REPORT body. */
  static final class Body {
    byte[] cpuSvn = new byte[16];
    int miscSelect;
    long flags;
    long xfrm;
    byte[] mrEnclave = new byte[32];
    byte[] mrSigner = new byte[32];
    int isvProdId;
    int isvSvn;
    byte[] reportData = new byte[64];
  }

  /** The 384-byte report body. */
  static byte[] body(Body b) {
    ByteBuffer buf = ByteBuffer.allocate(384).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(b.cpuSvn);                 // 0   cpu_svn[16]
    buf.putInt(b.miscSelect);          // 16  misc_select
    buf.position(48);                  // 20  reserved[12], 32 isv_ext_prod_id[16]
    buf.putLong(b.flags);              // 48  attributes.flags
    buf.putLong(b.xfrm);               // 56  attributes.xfrm
    buf.put(b.mrEnclave);              // 64  mr_enclave[32]
    buf.position(128);                 // 96  reserved[32]
    buf.put(b.mrSigner);               // 128 mr_signer[32]
    buf.position(256);                 // 160 reserved[32], 192 config_id[64]
    buf.putShort((short) b.isvProdId); // 256 isv_prod_id
    buf.putShort((short) b.isvSvn);    // 258 isv_svn
    buf.position(320);                 // 260 config_svn, 262 reserved[42], 304 isv_family_id[16]
    buf.put(b.reportData);             // 320 report_data[64]
    return buf.array();
  }

  /** The 48-byte header: version 3, ECDSA P-256, QE/PCE SVN, Intel QE vendor id. */
  static byte[] header(int qeSvn, int pceSvn, byte[] qeVendorId, byte[] userData20) {
    ByteBuffer buf = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
    buf.putShort((short) 3);        // 0  version
    buf.putShort((short) 2);        // 2  attestation key type: ECDSA-256 with P-256
    buf.putInt(0);                  // 4  tee_type (reserved in v3)
    buf.putShort((short) qeSvn);    // 8  qe_svn
    buf.putShort((short) pceSvn);   // 10 pce_svn
    buf.put(qeVendorId);            // 12 qe_vendor_id[16]
    buf.put(userData20);            // 28 user_data[20]
    return buf.array();
  }

  /**
   * Signature data: quote signature, attestation key, QE report, its signature, QE auth data and
   * certification data (type 5, PCK chain PEM).
   */
  static byte[] signatureData(byte[] quoteSig64, byte[] attKey64, byte[] qeReport384,
      byte[] qeReportSig64, byte[] authData, byte[] certChainPem) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.writeBytes(quoteSig64);
    o.writeBytes(attKey64);
    o.writeBytes(qeReport384);
    o.writeBytes(qeReportSig64);
    o.writeBytes(le16(authData.length));
    o.writeBytes(authData);
    o.writeBytes(le16(5));
    o.writeBytes(le32(certChainPem.length));
    o.writeBytes(certChainPem);
    return o.toByteArray();
  }

  static byte[] le16(int v) {
    return new byte[] {(byte) v, (byte) (v >>> 8)};
  }

  static byte[] le32(int v) {
    return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
  }
}
