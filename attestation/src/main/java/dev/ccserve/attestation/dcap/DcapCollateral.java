package dev.ccserve.attestation.dcap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The collateral one DCAP quote needs (reference §5.1): PCK CRL and its issuer chain, Intel SGX
 * Root CA CRL, TCB Info and QE Identity as the <b>exact signed JSON text</b> with their hex r‖s
 * signatures and issuer chains. Untrusted until a verifier checks it.
 *
 * <p>The JSON bundle form ({@link #fromJson}/{@link #toJson}) is dcap-qvl's {@code
 * QuoteCollateralV3}: keys {@code pck_crl_issuer_chain}, {@code root_ca_crl} (hex DER), {@code
 * pck_crl} (hex DER), {@code tcb_info_issuer_chain}, {@code tcb_info}, {@code tcb_info_signature}
 * (hex), {@code qe_identity_issuer_chain}, {@code qe_identity}, {@code qe_identity_signature} (hex).
 *
 * <p>Immutable; byte accessors return copies.
 */
public final class DcapCollateral {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HexFormat HEX = HexFormat.of();

  private final String pckCrlIssuerChain;
  private final byte[] rootCaCrl;
  private final byte[] pckCrl;
  private final String tcbInfoIssuerChain;
  private final String tcbInfo;
  private final byte[] tcbInfoSignature;
  private final String qeIdentityIssuerChain;
  private final String qeIdentity;
  private final byte[] qeIdentitySignature;

  public DcapCollateral(String pckCrlIssuerChain, byte[] rootCaCrl, byte[] pckCrl,
      String tcbInfoIssuerChain, String tcbInfo, byte[] tcbInfoSignature,
      String qeIdentityIssuerChain, String qeIdentity, byte[] qeIdentitySignature) {
    this.pckCrlIssuerChain = Objects.requireNonNull(pckCrlIssuerChain, "pckCrlIssuerChain");
    this.rootCaCrl = Objects.requireNonNull(rootCaCrl, "rootCaCrl").clone();
    this.pckCrl = Objects.requireNonNull(pckCrl, "pckCrl").clone();
    this.tcbInfoIssuerChain = Objects.requireNonNull(tcbInfoIssuerChain, "tcbInfoIssuerChain");
    this.tcbInfo = Objects.requireNonNull(tcbInfo, "tcbInfo");
    this.tcbInfoSignature = Objects.requireNonNull(tcbInfoSignature, "tcbInfoSignature").clone();
    this.qeIdentityIssuerChain = Objects.requireNonNull(qeIdentityIssuerChain, "qeIdentityIssuerChain");
    this.qeIdentity = Objects.requireNonNull(qeIdentity, "qeIdentity");
    this.qeIdentitySignature = Objects.requireNonNull(qeIdentitySignature, "qeIdentitySignature").clone();
  }

  /** Parses the JSON bundle form. */
  public static DcapCollateral fromJson(String json) throws AttestationException {
    JsonNode n;
    try {
      n = JSON.readTree(json);
    } catch (Exception e) {
      throw new AttestationException(Reason.MALFORMED, "collateral.bundle",
          "expected a JSON object, found invalid JSON: " + e.getClass().getSimpleName());
    }
    if (n == null || !n.isObject()) {
      throw new AttestationException(Reason.MALFORMED, "collateral.bundle",
          "expected a JSON object with collateral keys");
    }
    return new DcapCollateral(
        text(n, "pck_crl_issuer_chain"),
        hex(n, "root_ca_crl"),
        hex(n, "pck_crl"),
        text(n, "tcb_info_issuer_chain"),
        text(n, "tcb_info"),
        hex(n, "tcb_info_signature"),
        text(n, "qe_identity_issuer_chain"),
        text(n, "qe_identity"),
        hex(n, "qe_identity_signature"));
  }

  /** Writes the JSON bundle form. */
  public String toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("pck_crl_issuer_chain", pckCrlIssuerChain);
    o.put("root_ca_crl", HEX.formatHex(rootCaCrl));
    o.put("pck_crl", HEX.formatHex(pckCrl));
    o.put("tcb_info_issuer_chain", tcbInfoIssuerChain);
    o.put("tcb_info", tcbInfo);
    o.put("tcb_info_signature", HEX.formatHex(tcbInfoSignature));
    o.put("qe_identity_issuer_chain", qeIdentityIssuerChain);
    o.put("qe_identity", qeIdentity);
    o.put("qe_identity_signature", HEX.formatHex(qeIdentitySignature));
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String text(JsonNode n, String key) throws AttestationException {
    JsonNode v = n.get(key);
    if (v == null || !v.isTextual()) {
      throw new AttestationException(Reason.MALFORMED, "collateral.bundle",
          "expected string field \"" + key + "\", found " + (v == null ? "none" : v.getNodeType()));
    }
    return v.textValue();
  }

  private static byte[] hex(JsonNode n, String key) throws AttestationException {
    String s = text(n, key).trim();
    try {
      return HEX.parseHex(s.startsWith("0x") ? s.substring(2) : s);
    } catch (IllegalArgumentException e) {
      throw new AttestationException(Reason.MALFORMED, "collateral.bundle",
          "expected hex in \"" + key + "\"");
    }
  }

  public String pckCrlIssuerChain() {
    return pckCrlIssuerChain;
  }

  public byte[] rootCaCrl() {
    return rootCaCrl.clone();
  }

  public byte[] pckCrl() {
    return pckCrl.clone();
  }

  public String tcbInfoIssuerChain() {
    return tcbInfoIssuerChain;
  }

  /** Exact signed text of the {@code tcbInfo} object. */
  public String tcbInfo() {
    return tcbInfo;
  }

  public byte[] tcbInfoSignature() {
    return tcbInfoSignature.clone();
  }

  public String qeIdentityIssuerChain() {
    return qeIdentityIssuerChain;
  }

  /** Exact signed text of the {@code enclaveIdentity} object. */
  public String qeIdentity() {
    return qeIdentity;
  }

  public byte[] qeIdentitySignature() {
    return qeIdentitySignature.clone();
  }

  /** A copy with the TCB Info text replaced (tests, tooling). */
  public DcapCollateral withTcbInfo(String text, byte[] signature) {
    return new DcapCollateral(pckCrlIssuerChain, rootCaCrl, pckCrl, tcbInfoIssuerChain, text,
        signature, qeIdentityIssuerChain, qeIdentity, qeIdentitySignature);
  }

  /** A copy with the QE Identity text replaced (tests, tooling). */
  public DcapCollateral withQeIdentity(String text, byte[] signature) {
    return new DcapCollateral(pckCrlIssuerChain, rootCaCrl, pckCrl, tcbInfoIssuerChain, tcbInfo,
        tcbInfoSignature, qeIdentityIssuerChain, text, signature);
  }

  @Override
  public String toString() {
    return "DcapCollateral{tcbInfo=" + tcbInfo.length() + " chars, qeIdentity=" + qeIdentity.length()
        + " chars}";
  }
}
