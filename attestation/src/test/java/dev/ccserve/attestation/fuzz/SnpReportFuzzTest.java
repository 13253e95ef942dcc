package dev.ccserve.attestation.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.snp.SnpEvidence;
import dev.ccserve.attestation.snp.SnpReport;
import dev.ccserve.attestation.snp.SnpVerifier;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * The SNP report / certificate-table parser and verifier must reject arbitrary input with an
 * {@link AttestationException} only; any other exception escaping fails the test (Jazzer reports
 * it as a finding). Regression mode runs the committed corpus in {@code
 * SnpReportFuzzTestInputs/}.
 */
class SnpReportFuzzTest {
  private static final SnpVerifier VERIFIER = SnpVerifier.builder()
      .clock(Clock.fixed(Instant.parse("2025-06-20T00:00:00Z"), ZoneOffset.UTC))
      .build();

  @FuzzTest
  void snpEvidence(byte[] data) {
    try {
      SnpEvidence parsed = SnpEvidence.parse(data);
      assertThat(parsed.report().bytes()).hasSize(SnpReport.SIZE);
    } catch (AttestationException expected) {
      assertThat(expected.reason()).isNotNull();
    }
    try {
      VERIFIER.verify(Evidence.of(EvidenceFormat.SNP_REPORT, data));
    } catch (AttestationException expected) {
      assertThat(expected.step()).isNotEmpty();
    }
  }
}
