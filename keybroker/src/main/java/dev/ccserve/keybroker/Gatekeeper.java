package dev.ccserve.keybroker;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.EvidenceClaims;
import dev.ccserve.attestation.EvidenceVerifier;
import dev.ccserve.attestation.policy.PolicyGate;
import dev.ccserve.attestation.ratls.NonceValidator;
import dev.ccserve.attestation.ratls.RaTlsEvidence;
import dev.ccserve.attestation.ratls.RaTlsEvidenceExtractor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides whether an RA-TLS client may have anything, in this order: evidence extraction and key
 * binding ({@link RaTlsEvidenceExtractor}), cryptographic verification ({@link EvidenceVerifier}),
 * the binding re-checked on the VERIFIED report data, the policy entries in order (each a {@link
 * PolicyGate}; the first that accepts wins), and freshness: a nonce claim must be one this broker
 * issued, unexpired and unused (it is consumed); evidence without a nonce passes only when the
 * matching entry sets {@code allow_no_nonce}.
 *
 * <p>Every failure is an {@link AttestationException} naming reason and step. Verified claims are
 * recorded in the caller's {@link AuditEvent} as soon as they exist. Thread-safe.
 */
final class Gatekeeper {
  private final EvidenceVerifier verifier;
  private final NonceValidator nonces;
  private final Clock clock;
  private final Duration maxAdmissionAge;

  Gatekeeper(EvidenceVerifier verifier, NonceValidator nonces, Clock clock, Duration maxAdmissionAge) {
    this.verifier = Objects.requireNonNull(verifier, "verifier");
    this.nonces = Objects.requireNonNull(nonces, "nonces");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.maxAdmissionAge = Objects.requireNonNull(maxAdmissionAge, "maxAdmissionAge");
  }

  /** Runs every check on {@code cert} under {@code policy}; consumes the nonce on success. */
  Admission admit(X509Certificate cert, BrokerPolicy policy, AuditEvent audit) throws AttestationException {
    RaTlsEvidence ev = RaTlsEvidenceExtractor.extract(cert);
    audit.evidenceDigest(ev.evidence().digest());
    EvidenceClaims claims = verifier.verify(ev.evidence());
    audit.claims(claims);
    if (!ev.boundTo(claims.reportData())) {
      throw new AttestationException(Reason.KEY_BINDING_MISMATCH, "ratls_binding",
          "verified report_data does not carry the certificate's key binding (evidence "
              + ev.evidence().digest() + ")");
    }
    PolicyEntry entry = match(policy, claims);
    audit.entry(entry.name());
    Optional<byte[]> nonce = ev.nonce();
    audit.nonce(nonce.isPresent());
    if (nonce.isPresent()) {
      nonces.validate(nonce.get());
    } else if (!entry.allowNoNonce()) {
      throw noNonce(entry);
    }
    return new Admission(cert, ev, claims, entry, nonce.isPresent(), clock.instant());
  }

  /**
   * Re-judges an earlier admission of the same connection under the current policy (which may have
   * been reloaded): the claims must still match an entry, and a nonce-less admission still needs
   * {@code allow_no_nonce}. The admission expires after {@code maxAdmissionAge}.
   */
  Admission reapply(Admission a, BrokerPolicy policy, AuditEvent audit) throws AttestationException {
    audit.evidenceDigest(a.evidence().evidence().digest());
    audit.claims(a.claims());
    audit.nonce(a.freshNonce());
    Instant now = clock.instant();
    if (now.isAfter(a.admittedAt().plus(maxAdmissionAge))) {
      throw new AttestationException(Reason.NONCE_STALE, "admission_age",
          "this connection was admitted at " + a.admittedAt() + " and admissions last " + maxAdmissionAge
              + "; reconnect with a fresh nonce");
    }
    PolicyEntry entry = match(policy, a.claims());
    audit.entry(entry.name());
    if (!a.freshNonce() && !entry.allowNoNonce()) {
      throw noNonce(entry);
    }
    return a.withEntry(entry);
  }

  private static PolicyEntry match(BrokerPolicy policy, EvidenceClaims claims) throws AttestationException {
    AttestationException first = null;
    StringBuilder all = new StringBuilder();
    for (PolicyEntry e : policy.entries()) {
      try {
        new PolicyGate(e.reference()).check(claims);
        return e;
      } catch (AttestationException x) {
        if (first == null) {
          first = x;
        }
        all.append(all.length() == 0 ? "" : "; ").append("entry \"").append(e.name()).append("\": ")
            .append(x.getMessage());
      }
    }
    if (policy.entries().size() == 1) {
      throw first;
    }
    throw new AttestationException(first.reason(), first.step(),
        "no policy entry accepts the evidence: " + all);
  }

  private static AttestationException noNonce(PolicyEntry entry) {
    return new AttestationException(Reason.NONCE_STALE, "nonce",
        "expected a broker nonce (\"nonce\" claim of the RA-TLS certificate), found none; policy entry \""
            + entry.name() + "\" does not set allow_no_nonce");
  }
}
