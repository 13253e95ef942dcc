package dev.ccserve.attestation.ratls;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.detect.EvidenceSniffer;
import dev.ccserve.attestation.ratls.RaTlsEvidence.Source;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1OctetString;

/**
 * Extracts RA-TLS evidence from a peer certificate and checks its key binding, following Gramine's
 * verifier: the TCG DICE extension (2.23.133.5.4.9) is used when present and must then be valid;
 * only when it is absent does the legacy quote extension count.
 *
 * <p>Checks: the certificate key is EC (P-256 or P-384); TCG: CBOR tag 60000 around [bstr evidence,
 * bstr claims], report_data[0..32) = SHA-256(claims), claims' pubkey-hash (SHA-256/384/512) =
 * hash(DER SPKI); legacy: report_data[0..32) = SHA-256(DER SPKI). report_data is read from the
 * still unverified evidence here; verify the evidence and re-check with {@link
 * RaTlsEvidence#boundTo(byte[])} on the verified claims. Stateless and thread-safe; every failure
 * is an {@link AttestationException}.
 */
public final class RaTlsEvidenceExtractor {
  /** Largest evidence accepted inside a certificate (SNP report + certificate table, big TDX quotes). */
  public static final int MAX_EVIDENCE = 64 * 1024;

  private RaTlsEvidenceExtractor() {}

  /** True when {@code cert} carries either RA-TLS extension (nothing is validated). */
  public static boolean isRaTls(X509Certificate cert) {
    return cert.getExtensionValue(RaTlsOids.TCG_DICE_TAGGED_EVIDENCE) != null
        || cert.getExtensionValue(RaTlsOids.LEGACY_GRAMINE_QUOTE) != null;
  }

  /**
   * Extracts and binds the evidence.
   *
   * @throws AttestationException MALFORMED / UNSUPPORTED_FORMAT for a bad extension or evidence,
   *     KEY_BINDING_MISMATCH when the evidence is not bound to this certificate's key
   */
  public static RaTlsEvidence extract(X509Certificate cert) throws AttestationException {
    byte[] spki = cert.getPublicKey().getEncoded();
    checkKey(cert);
    byte[] tcg = extensionContent(cert, RaTlsOids.TCG_DICE_TAGGED_EVIDENCE);
    if (tcg != null) {
      return parseTcgExtension(tcg, spki);
    }
    byte[] legacy = extensionContent(cert, RaTlsOids.LEGACY_GRAMINE_QUOTE);
    if (legacy != null) {
      return parseLegacyExtension(legacy, spki);
    }
    throw new AttestationException(
        Reason.MALFORMED, "ratls_extension",
        "expected RA-TLS extension " + RaTlsOids.TCG_DICE_TAGGED_EVIDENCE + " or " + RaTlsOids.LEGACY_GRAMINE_QUOTE
            + ", found neither");
  }

  /**
   * Parses the extnValue content of a TCG DICE extension and checks its binding to {@code spki}
   * (DER SubjectPublicKeyInfo); public for diagnostics and fuzzing.
   */
  public static RaTlsEvidence parseTcgExtension(byte[] content, byte[] spki) throws AttestationException {
    Object top = Cbor.decode(content, "ratls_tcg");
    if (!(top instanceof Cbor.Tagged t) || t.tag() != RaTlsOids.TCG_EVIDENCE_CBOR_TAG) {
      throw new AttestationException(Reason.MALFORMED, "ratls_tcg", "expected CBOR tag 60000 at the top");
    }
    if (!(t.value() instanceof List<?> arr) || arr.size() != 2
        || !(arr.get(0) instanceof byte[] evidenceBytes) || !(arr.get(1) instanceof byte[] claimsBytes)) {
      throw new AttestationException(Reason.MALFORMED, "ratls_tcg", "expected [bstr evidence, bstr claims] in tag 60000");
    }
    Evidence evidence = sniff(evidenceBytes);
    byte[] expected = Arrays.copyOf(RaTlsClaims.sha(1, claimsBytes), 32);
    checkReportData(evidence, expected, "SHA-256(claims)");
    RaTlsClaims claims = RaTlsClaims.parse(claimsBytes);
    if (!claims.matches(spki)) {
      throw new AttestationException(
          Reason.KEY_BINDING_MISMATCH, "ratls_binding",
          "claims pubkey-hash does not match the certificate's public key");
    }
    return new RaTlsEvidence(
        evidence, Source.TCG_DICE, claims.hashAlgId(), claims.pubkeyHash(), claims.nonce().orElse(null), expected);
  }

  /** Parses the extnValue content of the legacy quote extension and checks its binding to {@code spki}. */
  public static RaTlsEvidence parseLegacyExtension(byte[] content, byte[] spki) throws AttestationException {
    Evidence evidence = sniff(content);
    byte[] expected = RaTlsClaims.sha(1, spki);
    checkReportData(evidence, expected, "SHA-256(public key)");
    return new RaTlsEvidence(evidence, Source.LEGACY_GRAMINE, 1, expected, null, expected);
  }

  private static Evidence sniff(byte[] bytes) throws AttestationException {
    if (bytes.length > MAX_EVIDENCE) {
      throw new AttestationException(
          Reason.MALFORMED, "ratls_evidence", "evidence of " + bytes.length + " bytes exceeds " + MAX_EVIDENCE);
    }
    Optional<EvidenceFormat> format = EvidenceSniffer.sniff(bytes);
    if (format.isEmpty()) {
      throw new AttestationException(
          Reason.UNSUPPORTED_FORMAT, "ratls_evidence",
          "embedded evidence (" + bytes.length + " bytes) is not an SGX v3 / TDX v4 / TDX v5 quote or an SNP report");
    }
    return Evidence.of(format.get(), bytes);
  }

  private static void checkReportData(Evidence evidence, byte[] expected, String what) throws AttestationException {
    byte[] rd = EvidenceSniffer.reportData(evidence.format(), evidence.bytes()).orElseThrow(() ->
        new AttestationException(Reason.MALFORMED, "ratls_evidence", "evidence too short for report_data"));
    if (!MessageDigest.isEqual(Arrays.copyOf(rd, 32), expected)) {
      throw new AttestationException(
          Reason.KEY_BINDING_MISMATCH, "ratls_binding",
          "report_data[0..32) is not " + what + " (evidence " + evidence.digest() + ")");
    }
  }

  private static void checkKey(X509Certificate cert) throws AttestationException {
    if (!(cert.getPublicKey() instanceof java.security.interfaces.ECPublicKey ec)) {
      throw new AttestationException(
          Reason.UNSUPPORTED_FORMAT, "ratls_key",
          "expected an EC P-256/P-384 certificate key, found " + cert.getPublicKey().getAlgorithm());
    }
    int bits = ec.getParams().getCurve().getField().getFieldSize();
    if (bits != 256 && bits != 384) {
      throw new AttestationException(
          Reason.UNSUPPORTED_FORMAT, "ratls_key", "expected an EC P-256/P-384 key, found a " + bits + "-bit curve");
    }
  }

  private static byte[] extensionContent(X509Certificate cert, String oid) throws AttestationException {
    byte[] der = cert.getExtensionValue(oid);
    if (der == null) {
      return null;
    }
    if (cert.getCriticalExtensionOIDs() != null && cert.getCriticalExtensionOIDs().contains(oid)) {
      throw new AttestationException(Reason.MALFORMED, "ratls_extension", "extension " + oid + " must not be critical");
    }
    try {
      return ASN1OctetString.getInstance(der).getOctets();
    } catch (RuntimeException e) {
      throw new AttestationException(Reason.MALFORMED, "ratls_extension", "extension " + oid + " is not an OCTET STRING");
    }
  }
}
