package dev.ccserve.attestation;

/**
 * Verifies untrusted {@link Evidence} cryptographically (signatures, certificate chains to pinned
 * vendor roots, collateral, TCB level) and reports what it established as {@link EvidenceClaims}.
 * It does NOT apply reference values; pass the claims to the policy gate for that.
 *
 * <p>Implementations take their trust anchors, collateral source and {@link java.time.Clock} in
 * their constructor, and must be thread-safe. Every failure, including malformed input of any
 * shape, is an {@link AttestationException}; no other exception escapes.
 */
public interface EvidenceVerifier {
  EvidenceClaims verify(Evidence evidence) throws AttestationException;
}
