package dev.ccserve.attestation.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.ratls.RaTlsEvidence;
import dev.ccserve.attestation.ratls.RaTlsEvidenceExtractor;
import java.util.Base64;

/**
 * The RA-TLS extension parsers (CBOR tag 60000 structure, claims map, pubkey-hash entry, evidence
 * sniffing, binding) must reject arbitrary extension contents with {@link AttestationException}
 * only. The key is fixed, so inputs from the committed corpus that were built for it exercise the
 * success path too.
 */
class RaTlsFuzzTest {
  /** DER SubjectPublicKeyInfo of a fixed P-384 test key (the corpus was generated for it). */
  static final byte[] SPKI = Base64.getDecoder().decode(
      "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEBSAqXjelqmRSUKQViOZTpq2k6OCd39GJbuPuyLgtGvFQukfffUColLuG"
          + "GX+w2+jOEb39HjdjSoNST6dNjdVXS/aHoYt/BQsex8dSPEiPxKWxGDMWt5H9nNpt6vG2ZHrH");

  @FuzzTest
  void tcgExtension(byte[] data) {
    try {
      RaTlsEvidence ev = RaTlsEvidenceExtractor.parseTcgExtension(data, SPKI);
      assertThat(ev.expectedReportDataPrefix()).hasSize(32);
    } catch (AttestationException expected) {
      assertThat(expected.reason()).isNotNull();
    }
  }

  @FuzzTest
  void legacyExtension(byte[] data) {
    try {
      RaTlsEvidence ev = RaTlsEvidenceExtractor.parseLegacyExtension(data, SPKI);
      assertThat(ev.source()).isEqualTo(RaTlsEvidence.Source.LEGACY_GRAMINE);
    } catch (AttestationException expected) {
      assertThat(expected.reason()).isNotNull();
    }
  }
}
