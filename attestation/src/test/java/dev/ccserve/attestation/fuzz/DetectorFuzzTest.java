package dev.ccserve.attestation.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.dcap.DcapQuote;
import dev.ccserve.attestation.detect.EvidenceDetector;
import dev.ccserve.attestation.diagnostics.DecodedEvidence;

/**
 * The evidence detector (DCAP quote, SNP report and RA-TLS certificate decoders, PEM and DER) and
 * the DCAP quote parser must reject arbitrary bytes with {@link AttestationException} only.
 */
class DetectorFuzzTest {

  @FuzzTest
  void detect(byte[] data) {
    try {
      DecodedEvidence d = EvidenceDetector.detect(data);
      assertThat(d.evidence().length()).isPositive();
    } catch (AttestationException expected) {
      assertThat(expected.reason()).isNotNull();
    }
  }

  @FuzzTest
  void dcapQuote(byte[] data) {
    try {
      DcapQuote q = DcapQuote.parse(data);
      assertThat(q.reportData()).hasSize(64);
    } catch (AttestationException expected) {
      assertThat(expected.reason()).isNotNull();
    }
  }
}
