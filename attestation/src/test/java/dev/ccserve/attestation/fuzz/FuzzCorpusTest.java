package dev.ccserve.attestation.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.detect.EvidenceDetector;
import dev.ccserve.attestation.ratls.RaTlsEvidence;
import dev.ccserve.attestation.ratls.RaTlsEvidenceExtractor;
import dev.ccserve.attestation.snp.SnpEvidence;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the committed fuzz corpus meaningful: the "valid" seeds must still take the success path
 * (so regression runs cover more than the error paths). Runs in the ordinary test execution.
 */
class FuzzCorpusTest {

  static byte[] seed(String path) throws IOException {
    try (InputStream in = FuzzCorpusTest.class.getResourceAsStream(path)) {
      assertThat(in).as("corpus file %s", path).isNotNull();
      return in.readAllBytes();
    }
  }

  @Test
  void tcgSeeds_parseAndBindToFixedKey() throws Exception {
    for (String name : new String[] {"sgx-valid", "sgx-nonce-valid", "snp-valid"}) {
      RaTlsEvidence ev = RaTlsEvidenceExtractor.parseTcgExtension(
          seed("RaTlsFuzzTestInputs/tcgExtension/" + name), RaTlsFuzzTest.SPKI);
      assertThat(ev.source()).isEqualTo(RaTlsEvidence.Source.TCG_DICE);
    }
  }

  @Test
  void legacySeed_parsesAndBinds() throws Exception {
    assertThat(RaTlsEvidenceExtractor.parseLegacyExtension(
        seed("RaTlsFuzzTestInputs/legacyExtension/sgx-valid"), RaTlsFuzzTest.SPKI).evidence().format())
        .isEqualTo(EvidenceFormat.SGX_QUOTE_V3);
  }

  @Test
  void snpSeed_parsesWithTable() throws Exception {
    assertThat(SnpEvidence.parse(seed("SnpReportFuzzTestInputs/snpEvidence/fake-signed-with-vcek-table"))
        .certificateTable()).isPresent();
  }

  @Test
  void detectSeeds_recognised() throws Exception {
    assertThat(EvidenceDetector.detect(seed("DetectorFuzzTestInputs/detect/ratls-snp-der")).container())
        .isEqualTo("ratls-cert");
    assertThat(EvidenceDetector.detect(seed("DetectorFuzzTestInputs/detect/ratls-sgx-pem")).container())
        .isEqualTo("ratls-cert");
  }
}
