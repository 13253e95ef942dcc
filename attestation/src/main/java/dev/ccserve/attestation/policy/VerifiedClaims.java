package dev.ccserve.attestation.policy;

import dev.ccserve.attestation.EvidenceClaims;
import java.util.Objects;

/**
 * Claims that were verified cryptographically AND accepted by a {@link ReferencePolicy}. Instances
 * are created only by {@link PolicyGate} (the constructor is package-private), so holding one is
 * proof that the policy check ran.
 *
 * <p>Immutable and thread-safe.
 */
public final class VerifiedClaims {
  private final EvidenceClaims claims;
  private final String policyName;

  VerifiedClaims(EvidenceClaims claims, String policyName) {
    this.claims = Objects.requireNonNull(claims, "claims");
    this.policyName = Objects.requireNonNull(policyName, "policyName");
  }

  /** The underlying claims. */
  public EvidenceClaims claims() {
    return claims;
  }

  /** The name of the policy that accepted them. */
  public String policyName() {
    return policyName;
  }

  @Override
  public String toString() {
    return "VerifiedClaims{policy=" + policyName + ", " + claims + "}";
  }
}
