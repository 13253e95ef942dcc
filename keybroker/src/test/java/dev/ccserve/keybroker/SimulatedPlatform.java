package dev.ccserve.keybroker;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.EvidenceProvider;
import dev.ccserve.attestation.TeeType;
import dev.ccserve.attestation.dcap.CollateralSource;
import dev.ccserve.attestation.dcap.DcapCollateral;
import dev.ccserve.attestation.dcap.DcapQuoteVerifier;
import dev.ccserve.attestation.dcap.Ecdsa;
import dev.ccserve.attestation.simulated.DistributionMeasurement;
import dev.ccserve.attestation.simulated.SimulatedEvidenceProvider;
import dev.ccserve.attestation.simulated.SimulatedTee;
import dev.ccserve.crypto.tls.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * Test helper around the attestation module's INSECURE simulated TEE: evidence providers for
 * chosen measurements, a verifier trusting the simulated root, and two derived fakes that produce
 * REAL signatures with the simulated keys: a provider whose quotes have the DEBUG attribute (quote
 * re-signed with the simulated attestation key) and collateral whose TCB Info says OutOfDate
 * (re-signed with the simulated TCB signing key).
 */
final class SimulatedPlatform {
  final SimulatedTee tee;
  final Path dir;

  SimulatedPlatform(Path dir, Clock clock) throws IOException {
    this.dir = dir;
    this.tee = SimulatedTee.openOrCreate(dir, clock);
  }

  /** A provider whose MRENCLAVE is the measurement of a file with {@code label} as content. */
  SimulatedEvidenceProvider provider(Path scratch, String label) throws IOException {
    return new SimulatedEvidenceProvider(tee, measurement(scratch, label), 0, 1);
  }

  static DistributionMeasurement measurement(Path scratch, String label) throws IOException {
    Path f = scratch.resolve("app-" + label + ".jar");
    Files.writeString(f, "ccserve test distribution " + label);
    return DistributionMeasurement.of(List.of(f), Map.of());
  }

  /** Simulated collateral as the CLI serves it (cached, see BrokerVerifiers). */
  CollateralSource collateral() {
    try {
      return BrokerVerifiers.withSimulatedCollateralInsecure(tee, request -> {
        throw new IllegalStateException("only simulated quotes in these tests");
      });
    } catch (dev.ccserve.attestation.AttestationException e) {
      throw new IllegalStateException(e);
    }
  }

  DcapQuoteVerifier verifier(Clock clock) {
    return DcapQuoteVerifier.trustingSimulatedRootInsecure(tee.rootPublicKey(), collateral(), clock);
  }

  /** A verifier whose simulated collateral reports TCB status OutOfDate (validly signed). */
  DcapQuoteVerifier outOfDateVerifier(Clock clock) throws IOException {
    PrivateKey tcbKey = key("tcb-signing.key");
    CollateralSource outdated = request -> {
      DcapCollateral c = tee.collateral();
      String text = c.tcbInfo().replace("\"UpToDate\"", "\"OutOfDate\"");
      try {
        return c.withTcbInfo(text, Ecdsa.sign(tcbKey, text.getBytes(StandardCharsets.UTF_8)));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    };
    return DcapQuoteVerifier.trustingSimulatedRootInsecure(tee.rootPublicKey(), outdated, clock);
  }

  /** Wraps {@code inner}: sets the DEBUG attribute in each quote and re-signs it. */
  EvidenceProvider debugProvider(EvidenceProvider inner) throws IOException {
    PrivateKey attestationKey = key("attestation.key");
    return new EvidenceProvider() {
      @Override
      public Evidence attest(byte[] reportData64) throws AttestationException {
        byte[] q = inner.attest(reportData64).bytes();
        q[48 + 48] |= 0x02; // body.attributes.flags: DEBUG
        byte[] signed = java.util.Arrays.copyOf(q, 48 + 384);
        try {
          byte[] sig = Ecdsa.sign(attestationKey, signed);
          System.arraycopy(sig, 0, q, 48 + 384 + 4, 64);
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException(e);
        }
        return Evidence.of(EvidenceFormat.SGX_QUOTE_V3, q);
      }

      @Override
      public TeeType tee() {
        return TeeType.SGX;
      }

      @Override
      public String name() {
        return "simulated-debug";
      }
    };
  }

  private PrivateKey key(String file) throws IOException {
    return Pem.readPrivateKey(Files.readString(dir.resolve(file), StandardCharsets.US_ASCII));
  }
}
