package dev.ccserve.attestation;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * An {@link EvidenceVerifier} that hands each piece of evidence to the verifier registered for its
 * {@link TeeType} (e.g. one DCAP verifier for SGX and TDX, one SNP verifier), so a relying party can
 * accept several TEE types through one verifier. Evidence of an unregistered TEE type is rejected
 * as {@code UNSUPPORTED_FORMAT}. Immutable; thread-safe if the delegates are.
 */
public final class TeeDispatchingVerifier implements EvidenceVerifier {
  private final Map<TeeType, EvidenceVerifier> delegates;

  public TeeDispatchingVerifier(Map<TeeType, EvidenceVerifier> delegates) {
    Objects.requireNonNull(delegates, "delegates");
    if (delegates.isEmpty()) {
      throw new IllegalArgumentException("expected at least one delegate verifier");
    }
    this.delegates = new EnumMap<>(delegates);
  }

  @Override
  public EvidenceClaims verify(Evidence evidence) throws AttestationException {
    EvidenceVerifier v = delegates.get(Objects.requireNonNull(evidence, "evidence").tee());
    if (v == null) {
      throw new AttestationException(AttestationException.Reason.UNSUPPORTED_FORMAT, "dispatch",
          "expected evidence of " + delegates.keySet() + ", found " + evidence.tee());
    }
    return v.verify(evidence);
  }

  @Override
  public String toString() {
    return "TeeDispatchingVerifier" + delegates.keySet();
  }
}
