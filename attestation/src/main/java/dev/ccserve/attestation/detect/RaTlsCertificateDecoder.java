package dev.ccserve.attestation.detect;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.diagnostics.DecodedEvidence;
import dev.ccserve.attestation.diagnostics.EvidenceDecoder;
import dev.ccserve.attestation.ratls.RaTlsEvidence;
import dev.ccserve.attestation.ratls.RaTlsEvidenceExtractor;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Recognises an RA-TLS certificate in PEM ({@code -----BEGIN CERTIFICATE-----}) or DER (an ASN.1
 * SEQUENCE that parses as X.509) and returns the evidence inside, after checking its key binding
 * with {@link RaTlsEvidenceExtractor}. A certificate without RA-TLS extensions is rejected with
 * UNSUPPORTED_FORMAT, a binding failure with KEY_BINDING_MISMATCH. Notes: {@code extension}
 * ({@code tcg-dice} or {@code legacy-gramine}), {@code key_binding}, {@code pubkey_hash_alg},
 * {@code pubkey_hash}, {@code nonce} (hex, when present), {@code not_after}. Stateless and
 * thread-safe.
 */
public final class RaTlsCertificateDecoder implements EvidenceDecoder {
  private static final byte[] PEM = "-----BEGIN CERTIFICATE-----".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_CERT = 256 * 1024;

  @Override
  public String name() {
    return "ratls-cert";
  }

  @Override
  public int priority() {
    return 200;
  }

  @Override
  public Optional<DecodedEvidence> decode(byte[] input) throws AttestationException {
    if (input == null || input.length < 4 || input.length > MAX_CERT) {
      return Optional.empty();
    }
    boolean pem = startsWithPem(input);
    boolean der = (input[0] & 0xFF) == 0x30 && ((input[1] & 0xFF) == 0x82 || (input[1] & 0xFF) == 0x83);
    if (!pem && !der) {
      return Optional.empty();
    }
    X509Certificate cert;
    try {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(input));
    } catch (GeneralSecurityException | RuntimeException e) {
      if (der) {
        return Optional.empty(); // some other DER structure
      }
      throw new AttestationException(Reason.MALFORMED, "ratls_cert", "PEM certificate does not parse as X.509");
    }
    if (!RaTlsEvidenceExtractor.isRaTls(cert)) {
      throw new AttestationException(
          Reason.UNSUPPORTED_FORMAT, "ratls_cert",
          "certificate " + cert.getSubjectX500Principal().getName() + " carries no RA-TLS evidence extension");
    }
    RaTlsEvidence ev = RaTlsEvidenceExtractor.extract(cert);
    return Optional.of(new DecodedEvidence(ev.evidence(), "ratls-cert", notes(cert, ev)));
  }

  private static Map<String, String> notes(X509Certificate cert, RaTlsEvidence ev) {
    Map<String, String> notes = new TreeMap<>();
    HexFormat hex = HexFormat.of();
    notes.put("extension", ev.source() == RaTlsEvidence.Source.TCG_DICE ? "tcg-dice" : "legacy-gramine");
    notes.put("key_binding", "ok (report_data checked before verification)");
    notes.put("pubkey_hash_alg", ev.pubkeyHashAlgId() == 1 ? "sha-256" : ev.pubkeyHashAlgId() == 7 ? "sha-384" : "sha-512");
    notes.put("pubkey_hash", hex.formatHex(ev.pubkeyHash()));
    ev.nonce().ifPresent(n -> notes.put("nonce", hex.formatHex(n)));
    notes.put("not_after", cert.getNotAfter().toInstant().toString());
    try {
      notes.put("certificate_sha256", hex.formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded())));
    } catch (GeneralSecurityException e) {
      // leave it out
    }
    return notes;
  }

  private static boolean startsWithPem(byte[] input) {
    int i = 0;
    while (i < input.length && i < 64 && Character.isWhitespace(input[i])) {
      i++;
    }
    if (input.length - i < PEM.length) {
      return false;
    }
    for (int j = 0; j < PEM.length; j++) {
      if (input[i + j] != PEM[j]) {
        return false;
      }
    }
    return true;
  }
}
