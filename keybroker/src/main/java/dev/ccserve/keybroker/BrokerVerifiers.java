package dev.ccserve.keybroker;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.EvidenceVerifier;
import dev.ccserve.attestation.TeeType;
import dev.ccserve.attestation.dcap.CollateralSource;
import dev.ccserve.attestation.simulated.SimulatedTee;
import java.io.IOException;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Small compositions of attestation-module verifiers for a broker: dispatch by TEE type, and (for
 * development only) collateral of the INSECURE simulated TEE next to a real collateral source.
 * Stateless factories; the returned objects are thread-safe when their parts are.
 */
public final class BrokerVerifiers {
  private BrokerVerifiers() {}

  /** A verifier that hands each piece of evidence to the verifier of its TEE type (else UNSUPPORTED_FORMAT). */
  public static EvidenceVerifier byTee(Map<TeeType, EvidenceVerifier> verifiers) {
    Map<TeeType, EvidenceVerifier> m = new EnumMap<>(verifiers);
    return evidence -> {
      EvidenceVerifier v = m.get(evidence.tee());
      if (v == null) {
        throw new AttestationException(Reason.UNSUPPORTED_FORMAT, "verifier",
            "expected evidence from one of " + m.keySet() + ", found " + evidence.tee());
      }
      return v.verify(evidence);
    };
  }

  /**
   * DANGEROUS (development only): serves freshly signed collateral of the simulated TEE {@code
   * simulated} for quotes of its platform (matched by FMSPC) and asks {@code others} for all other
   * quotes. Pair it with {@code DcapQuoteVerifier.trustingSimulatedRootInsecure}; without that the
   * simulated collateral is useless, since it does not chain to Intel's root.
   */
  public static CollateralSource withSimulatedCollateralInsecure(SimulatedTee simulated, CollateralSource others)
      throws AttestationException {
    Objects.requireNonNull(simulated, "simulated");
    Objects.requireNonNull(others, "others");
    String fmspc;
    try {
      fmspc = new ObjectMapper().readTree(simulated.collateral().tcbInfo()).path("fmspc").asText()
          .toUpperCase(Locale.ROOT);
    } catch (IOException e) {
      throw new AttestationException(Reason.MALFORMED, "simulated.collateral",
          "cannot read the simulated platform's FMSPC: " + e.getClass().getSimpleName());
    }
    SimulatedCollateralCache cache = new SimulatedCollateralCache(simulated);
    return request -> request.fmspcHex().equals(fmspc) ? cache.get() : others.collateral(request);
  }

  /**
   * Simulated collateral is valid for 30 days from its creation; re-signing it for every quote
   * would cost more than verifying the quote, so it is regenerated once an hour.
   */
  private static final class SimulatedCollateralCache {
    private static final long REFRESH_NANOS = java.util.concurrent.TimeUnit.HOURS.toNanos(1);
    private final SimulatedTee tee;
    private dev.ccserve.attestation.dcap.DcapCollateral cached;
    private long madeAt;

    SimulatedCollateralCache(SimulatedTee tee) {
      this.tee = tee;
    }

    synchronized dev.ccserve.attestation.dcap.DcapCollateral get() throws AttestationException {
      long now = System.nanoTime();
      if (cached == null || now - madeAt > REFRESH_NANOS) {
        cached = tee.collateral();
        madeAt = now;
      }
      return cached;
    }
  }
}
