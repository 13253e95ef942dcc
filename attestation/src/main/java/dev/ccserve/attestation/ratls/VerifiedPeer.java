package dev.ccserve.attestation.ratls;

import dev.ccserve.attestation.policy.VerifiedClaims;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * The outcome of a successful RA-TLS peer check: the certificate, the evidence extracted from it
 * (bound to its key), and the claims the policy gate accepted.
 *
 * @param certificate the peer's RA-TLS certificate
 * @param evidence the extracted evidence and binding facts (including the nonce, if any)
 * @param claims the policy-approved claims
 */
public record VerifiedPeer(X509Certificate certificate, RaTlsEvidence evidence, VerifiedClaims claims) {
  public VerifiedPeer {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(evidence, "evidence");
    Objects.requireNonNull(claims, "claims");
  }
}
