package dev.ccserve.keybroker;

import dev.ccserve.attestation.EvidenceClaims;
import dev.ccserve.attestation.ratls.RaTlsEvidence;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Objects;

/**
 * A client admitted by the {@link Gatekeeper}: its RA-TLS certificate, the evidence extracted from
 * it, the claims the verifier established, the policy entry that accepted them, whether a fresh
 * broker nonce was consumed, and when. Remembered per TLS connection so that several calls on one
 * connection need one nonce. Immutable.
 */
record Admission(
    X509Certificate certificate,
    RaTlsEvidence evidence,
    EvidenceClaims claims,
    PolicyEntry entry,
    boolean freshNonce,
    Instant admittedAt) {
  Admission {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(evidence, "evidence");
    Objects.requireNonNull(claims, "claims");
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(admittedAt, "admittedAt");
  }

  Admission withEntry(PolicyEntry e) {
    return new Admission(certificate, evidence, claims, e, freshNonce, admittedAt);
  }
}
