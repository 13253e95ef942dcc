package dev.ccserve.attestation.dcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.EvidenceVerifier;
import dev.ccserve.attestation.EvidenceVerifierContractTest;
import dev.ccserve.attestation.TeeDispatchingVerifier;
import dev.ccserve.attestation.TeeType;
import dev.ccserve.attestation.simulated.DistributionMeasurement;
import dev.ccserve.attestation.simulated.SimulatedEvidenceProvider;
import dev.ccserve.attestation.simulated.SimulatedTee;
import dev.ccserve.attestation.testing.TestData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** {@link EvidenceVerifierContractTest} for the DCAP verifier on SGX, TDX and simulated evidence. */
class DcapVerifierContractTests {
  static int beforeLastPem(byte[] q) {
    return new String(q, StandardCharsets.ISO_8859_1).lastIndexOf("-----BEGIN CERTIFICATE-----");
  }

  @Nested
  class SgxSetA extends EvidenceVerifierContractTest {
    @Override
    protected EvidenceVerifier verifier() throws Exception {
      return DcapQuoteVerifierTest.verifier("sgx_quote_collateral.json", DcapQuoteVerifierTest.AB_AT);
    }

    @Override
    protected Evidence validEvidence() {
      return DcapQuoteVerifierTest.evidence(EvidenceFormat.SGX_QUOTE_V3, "sgx_quote");
    }

    @Override
    protected int authenticatedLength() {
      return beforeLastPem(TestData.bytes("dcap/sgx_quote"));
    }

    @Override
    protected EvidenceFormat otherFormat() {
      return EvidenceFormat.SNP_REPORT;
    }
  }

  @Nested
  class TdxSetB extends EvidenceVerifierContractTest {
    @Override
    protected EvidenceVerifier verifier() throws Exception {
      // also exercises dispatch by TEE type
      return new TeeDispatchingVerifier(Map.of(TeeType.TDX,
          DcapQuoteVerifierTest.verifier("tdx_quote_collateral.json", DcapQuoteVerifierTest.AB_AT)));
    }

    @Override
    protected Evidence validEvidence() {
      return DcapQuoteVerifierTest.evidence(EvidenceFormat.TDX_QUOTE_V4, "tdx_quote");
    }

    @Override
    protected int authenticatedLength() {
      return beforeLastPem(TestData.bytes("dcap/tdx_quote"));
    }

    @Override
    protected EvidenceFormat otherFormat() {
      return EvidenceFormat.SGX_QUOTE_V3;
    }
  }

  /** One simulated platform for all contract tests (key generation is the slow part). */
  static synchronized SimulatedEvidenceProvider simulatedProvider(Clock clock) throws Exception {
    if (simulated == null) {
      Path dir = Files.createDirectories(Path.of("target", "contract-test-simulated-tee"));
      SimulatedTee tee = SimulatedTee.openOrCreate(dir.resolve("sim"), clock);
      Path jar = Files.write(dir.resolve("a.jar"), new byte[] {7});
      simulatedDir = dir.resolve("sim");
      simulated = new SimulatedEvidenceProvider(tee,
          DistributionMeasurement.of(List.of(jar), Map.of()), 0, 0);
    }
    return simulated;
  }

  private static SimulatedEvidenceProvider simulated;
  private static Path simulatedDir;

  @Nested
  class Simulated extends EvidenceVerifierContractTest {
    final Clock clock = Clock.fixed(Instant.parse("2026-11-23T12:00:00Z"), ZoneOffset.UTC);

    private SimulatedEvidenceProvider provider() throws Exception {
      return simulatedProvider(clock);
    }

    @Override
    protected EvidenceVerifier verifier() throws Exception {
      SimulatedEvidenceProvider p = provider();
      return DcapQuoteVerifier.trustingSimulatedRootInsecure(
          SimulatedTee.readRootPublicKey(simulatedDir), FileCollateralSource.of(p.collateral()), clock);
    }

    @Override
    protected Evidence validEvidence() throws Exception {
      return provider().attest(new byte[64]);
    }

    @Override
    protected int authenticatedLength() throws Exception {
      return beforeLastPem(validEvidence().bytes());
    }

    @Override
    protected EvidenceFormat otherFormat() {
      return EvidenceFormat.TDX_QUOTE_V5;
    }
  }

  @Test
  void dispatching_unregisteredTee_unsupported() throws Exception {
    TeeDispatchingVerifier v = new TeeDispatchingVerifier(Map.of(TeeType.TDX,
        DcapQuoteVerifierTest.verifier("tdx_quote_collateral.json", DcapQuoteVerifierTest.AB_AT)));
    assertThatThrownBy(() -> v.verify(DcapQuoteVerifierTest.evidence(EvidenceFormat.SGX_QUOTE_V3, "sgx_quote")))
        .isInstanceOfSatisfying(AttestationException.class, e -> {
          assertThat(e.reason()).isEqualTo(AttestationException.Reason.UNSUPPORTED_FORMAT);
          assertThat(e.step()).isEqualTo("dispatch");
        });
  }
}
