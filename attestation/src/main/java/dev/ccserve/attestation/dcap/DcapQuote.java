package dev.ccserve.attestation.dcap;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.EvidenceFormat;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A parsed Intel DCAP ECDSA quote: SGX v3, SGX/TDX v4, or v5 with a typed body (1 SGX, 2 TD 1.0, 3
 * TD 1.5). Parsing is purely structural (reference §4): lengths are checked, nothing is verified.
 * Parsing goes by declared lengths, never by file size, so trailing padding is ignored.
 *
 * <p>Immutable; accessors return copies. {@link #parse(byte[])} throws only {@link
 * AttestationException} (MALFORMED or UNSUPPORTED_FORMAT), on any input.
 */
public final class DcapQuote {
  public static final int HEADER_SIZE = 48;
  public static final int ATTESTATION_KEY_TYPE_ECDSA_P256 = 2;
  public static final long TEE_TYPE_SGX = 0x00000000L;
  public static final long TEE_TYPE_TDX = 0x00000081L;
  public static final int CERT_TYPE_PCK_CHAIN = 5;
  public static final int CERT_TYPE_QE_REPORT = 6;
  /** Intel's QE vendor id 939A7233-F79C-4CA9-940A-0DB3957F0607. */
  public static final byte[] INTEL_QE_VENDOR_ID =
      HexFormat.of().parseHex("939a7233f79c4ca9940a0db3957f0607");
  private static final int MAX_QUOTE = 1 << 20;

  private final byte[] raw;
  private final int version;
  private final int attestationKeyType;
  private final long teeType;
  private final int qeSvn;
  private final int pceSvn;
  private final byte[] qeVendorId;
  private final int bodyType;
  private final int signedLength;
  private final SgxReportBody sgxBody;
  private final TdReportBody tdBody;
  private final byte[] signature;
  private final byte[] attestationKey;
  private final SgxReportBody qeReport;
  private final byte[] qeReportSignature;
  private final byte[] qeAuthData;
  private final int certificationDataType;
  private final byte[] certificationData;

  private DcapQuote(byte[] raw, Parser p) {
    this.raw = raw;
    this.version = p.version;
    this.attestationKeyType = p.attestationKeyType;
    this.teeType = p.teeType;
    this.qeSvn = p.qeSvn;
    this.pceSvn = p.pceSvn;
    this.qeVendorId = p.qeVendorId;
    this.bodyType = p.bodyType;
    this.signedLength = p.signedLength;
    this.sgxBody = p.sgxBody;
    this.tdBody = p.tdBody;
    this.signature = p.signature;
    this.attestationKey = p.attestationKey;
    this.qeReport = p.qeReport;
    this.qeReportSignature = p.qeReportSignature;
    this.qeAuthData = p.qeAuthData;
    this.certificationDataType = p.certType;
    this.certificationData = p.certData;
  }

  /** Parses a quote; any structural problem is an {@link AttestationException}. */
  public static DcapQuote parse(byte[] quote) throws AttestationException {
    if (quote == null) {
      throw new AttestationException(Reason.MALFORMED, "parse.header", "quote is null");
    }
    if (quote.length > MAX_QUOTE) {
      throw new AttestationException(Reason.MALFORMED, "parse.header",
          "expected a quote of at most " + MAX_QUOTE + " bytes, found " + quote.length);
    }
    byte[] copy = quote.clone();
    Parser p = new Parser(copy);
    p.run();
    return new DcapQuote(Arrays.copyOf(copy, p.totalLength), p);
  }

  /** The evidence format this quote has. */
  public EvidenceFormat format() {
    if (version == 3) {
      return EvidenceFormat.SGX_QUOTE_V3;
    }
    return version == 4 ? EvidenceFormat.TDX_QUOTE_V4 : EvidenceFormat.TDX_QUOTE_V5;
  }

  public boolean isTdx() {
    return tdBody != null;
  }

  public int version() {
    return version;
  }

  public int attestationKeyType() {
    return attestationKeyType;
  }

  public long teeType() {
    return teeType;
  }

  public int qeSvn() {
    return qeSvn;
  }

  public int pceSvn() {
    return pceSvn;
  }

  public byte[] qeVendorId() {
    return qeVendorId.clone();
  }

  /** v5 body type (1 SGX, 2 TD 1.0, 3 TD 1.5); for v3/v4 the implied type. */
  public int bodyType() {
    return bodyType;
  }

  /** The quote bytes up to the end of the signature data (trailing padding removed). */
  public byte[] raw() {
    return raw.clone();
  }

  /** The bytes covered by the quote signature: header ‖ (v5 type+size) ‖ body. */
  public byte[] signedRegion() {
    return Arrays.copyOf(raw, signedLength);
  }

  /** SGX enclave report body, or null for TDX. */
  public SgxReportBody sgxBody() {
    return sgxBody;
  }

  /** TD report body, or null for SGX. */
  public TdReportBody tdBody() {
    return tdBody;
  }

  /** The report_data of the body (64 bytes). */
  public byte[] reportData() {
    return sgxBody != null ? sgxBody.reportData() : tdBody.reportData();
  }

  /** Quote signature, raw r‖s (64 bytes). */
  public byte[] signature() {
    return signature.clone();
  }

  /** Attestation public key, raw x‖y (64 bytes). */
  public byte[] attestationKey() {
    return attestationKey.clone();
  }

  public SgxReportBody qeReport() {
    return qeReport;
  }

  /** QE report signature, raw r‖s (64 bytes). */
  public byte[] qeReportSignature() {
    return qeReportSignature.clone();
  }

  public byte[] qeAuthData() {
    return qeAuthData.clone();
  }

  /** Type of the innermost certification data (5 = PCK chain). */
  public int certificationDataType() {
    return certificationDataType;
  }

  public byte[] certificationData() {
    return certificationData.clone();
  }

  @Override
  public String toString() {
    return "DcapQuote{version=" + version + ", format=" + format() + ", length=" + raw.length + "}";
  }

  private static final class Parser {
    final byte[] q;
    int version;
    int attestationKeyType;
    long teeType;
    int qeSvn;
    int pceSvn;
    byte[] qeVendorId;
    int bodyType;
    int signedLength;
    SgxReportBody sgxBody;
    TdReportBody tdBody;
    byte[] signature;
    byte[] attestationKey;
    SgxReportBody qeReport;
    byte[] qeReportSignature;
    byte[] qeAuthData;
    int certType;
    byte[] certData;
    int totalLength;

    Parser(byte[] q) {
      this.q = q;
    }

    void run() throws AttestationException {
      ByteReader r = new ByteReader(q, 0, q.length, "parse.header");
      version = r.u16("version");
      if (version < 3 || version > 5) {
        throw new AttestationException(Reason.UNSUPPORTED_FORMAT, "parse.header",
            "expected quote version 3, 4 or 5, found " + version);
      }
      attestationKeyType = r.u16("attestation_key_type");
      if (attestationKeyType != ATTESTATION_KEY_TYPE_ECDSA_P256) {
        throw new AttestationException(Reason.UNSUPPORTED_FORMAT, "parse.header",
            "expected attestation key type 2 (ECDSA P-256), found " + attestationKeyType);
      }
      teeType = r.u32("tee_type");
      if (version == 3) {
        teeType = TEE_TYPE_SGX; // reserved in v3
      } else if (teeType != TEE_TYPE_SGX && teeType != TEE_TYPE_TDX) {
        throw new AttestationException(Reason.UNSUPPORTED_FORMAT, "parse.header",
            "expected tee_type 0x0 (SGX) or 0x81 (TDX), found 0x" + Long.toHexString(teeType));
      }
      qeSvn = r.u16("qe_svn");
      pceSvn = r.u16("pce_svn");
      qeVendorId = r.bytes(16, "qe_vendor_id");
      if (!Arrays.equals(qeVendorId, INTEL_QE_VENDOR_ID)) {
        throw new AttestationException(Reason.UNSUPPORTED_FORMAT, "parse.header",
            "expected Intel QE vendor id 939a7233f79c4ca9940a0db3957f0607, found "
                + HexFormat.of().formatHex(qeVendorId));
      }
      r.bytes(20, "user_data");
      readBody(r);
      signedLength = r.position();
      r = new ByteReader(q, signedLength, q.length, "parse.signature_data");
      int sigLen = r.length32("signature_data_len");
      int sigEnd = r.position() + sigLen;
      totalLength = sigEnd;
      ByteReader s = new ByteReader(q, r.position(), sigEnd, "parse.signature_data");
      signature = s.bytes(64, "quote_signature");
      attestationKey = s.bytes(64, "attestation_key");
      if (version == 3) {
        readQeSection(s);
      } else {
        int outerType = s.u16("certification_data_type");
        if (outerType != CERT_TYPE_QE_REPORT) {
          throw new AttestationException(Reason.UNSUPPORTED_FORMAT, "parse.certification_data",
              "expected outer certification data type 6 (QE report), found " + outerType);
        }
        int outerLen = s.length32("certification_data_size");
        ByteReader inner = new ByteReader(q, s.position(), s.position() + outerLen,
            "parse.qe_report_certification_data");
        readQeSection(inner);
      }
    }

    private void readBody(ByteReader r) throws AttestationException {
      if (version == 5) {
        bodyType = r.u16("body_type");
        long bodySize = r.u32("body_size");
        int expected = bodyType == 1 ? SgxReportBody.SIZE
            : bodyType == 2 ? TdReportBody.SIZE_TD10
            : bodyType == 3 ? TdReportBody.SIZE_TD15 : -1;
        if (expected < 0) {
          throw new AttestationException(Reason.UNSUPPORTED_FORMAT, "parse.body",
              "expected v5 body type 1, 2 or 3, found " + bodyType);
        }
        if (bodySize != expected) {
          throw new AttestationException(Reason.MALFORMED, "parse.body",
              "expected body_size " + expected + " for body type " + bodyType + ", found " + bodySize);
        }
        if ((bodyType == 1) != (teeType == TEE_TYPE_SGX)) {
          throw new AttestationException(Reason.MALFORMED, "parse.body",
              "body type " + bodyType + " does not match tee_type 0x" + Long.toHexString(teeType));
        }
      } else {
        bodyType = teeType == TEE_TYPE_SGX ? 1 : 2;
      }
      if (bodyType == 1 && version != 3) {
        throw new AttestationException(Reason.UNSUPPORTED_FORMAT, "parse.body",
            "expected an SGX quote to be version 3 (v" + version + " SGX quotes are not supported)");
      }
      if (bodyType == 1) {
        sgxBody = new SgxReportBody(r.bytes(SgxReportBody.SIZE, "report_body"));
      } else {
        int size = bodyType == 2 ? TdReportBody.SIZE_TD10 : TdReportBody.SIZE_TD15;
        tdBody = new TdReportBody(r.bytes(size, "td_report_body"));
      }
    }

    private void readQeSection(ByteReader s) throws AttestationException {
      qeReport = new SgxReportBody(s.bytes(SgxReportBody.SIZE, "qe_report"));
      qeReportSignature = s.bytes(64, "qe_report_signature");
      int authLen = s.u16("qe_auth_data_len");
      qeAuthData = s.bytes(authLen, "qe_auth_data");
      certType = s.u16("certification_data_type");
      int certLen = s.length32("certification_data_size");
      certData = s.bytes(certLen, "certification_data");
    }
  }
}
