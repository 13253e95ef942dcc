package dev.ccserve.attestation.ratls;

import dev.ccserve.attestation.AttestationException;

/**
 * Decides whether a nonce found in peer evidence is fresh: issued by this relying party, not
 * expired, and (typically) not used before. Used by {@link RaTlsTrustManager} after the evidence
 * and policy checks.
 *
 * <p>Implementations must be thread-safe and must throw {@link AttestationException} with reason
 * {@code NONCE_STALE} for unknown, expired or reused nonces.
 */
public interface NonceValidator {
  /** Accepts (and usually consumes) {@code nonce}, or throws NONCE_STALE. */
  void validate(byte[] nonce) throws AttestationException;
}
