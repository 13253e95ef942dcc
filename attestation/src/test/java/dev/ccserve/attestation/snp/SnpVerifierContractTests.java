package dev.ccserve.attestation.snp;

import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.EvidenceVerifier;
import dev.ccserve.attestation.EvidenceVerifierContractTest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Nested;

/** The shared {@link EvidenceVerifierContractTest} for {@link SnpVerifier}. */
class SnpVerifierContractTests {

  /** The real Milan report with its VCEK from a file, pinned AMD chain. */
  @Nested
  class RealMilanReport extends EvidenceVerifierContractTest {
    @Override
    protected EvidenceVerifier verifier() {
      return SnpVerifierTest.milanVerifier(SnpVerifierTest.PINNED);
    }

    @Override
    protected Evidence validEvidence() {
      return SnpVerifierTest.realEvidence();
    }

    @Override
    protected int authenticatedLength() {
      return SnpReport.SIZE; // signed region plus R and S (reserved bytes must be zero)
    }

    @Override
    protected EvidenceFormat otherFormat() {
      return EvidenceFormat.TDX_QUOTE_V4;
    }
  }

  /** A report signed by the fake hierarchy, VCEK in the certificate table. */
  @Nested
  class FakeHierarchyWithTable extends EvidenceVerifierContractTest {
    @Override
    protected EvidenceVerifier verifier() {
      return SnpVerifier.builder()
          .trustAnchors(FakeAmd.shared().anchors())
          .clock(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC))
          .build();
    }

    @Override
    protected Evidence validEvidence() {
      return FakeAmd.shared().withVcek(FakeAmd.shared().sign(FakeAmd.shared().template(new byte[64])));
    }

    @Override
    protected int authenticatedLength() {
      return SnpReport.SIZE;
    }

    @Override
    protected EvidenceFormat otherFormat() {
      return EvidenceFormat.SGX_QUOTE_V3;
    }
  }
}
