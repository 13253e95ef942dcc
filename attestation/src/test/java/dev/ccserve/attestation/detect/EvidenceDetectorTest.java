package dev.ccserve.attestation.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.diagnostics.DecodedEvidence;
import dev.ccserve.attestation.diagnostics.EvidenceDecoder;
import dev.ccserve.attestation.diagnostics.EvidenceDiagnostics;
import dev.ccserve.attestation.ratls.RaTlsCertificates;
import dev.ccserve.attestation.snp.FakeAmd;
import dev.ccserve.attestation.snp.SnpTestData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EvidenceDetectorTest {
  static X509Certificate ratls;

  @BeforeAll
  static void setUp() throws Exception {
    ratls = RaTlsCertificates.create(
        RaTlsCertificates.generateP384(), FakeAmd.shared().provider(), new byte[] {(byte) 0xab, (byte) 0xcd}, Clock.systemUTC());
  }

  static byte[] dcap(String name) throws IOException {
    return Files.readAllBytes(SnpTestData.root().resolve("dcap").resolve(name));
  }

  @Test
  void detect_realSgxQuote_sgxV3() throws Exception {
    assertThat(EvidenceDetector.detect(dcap("sgx_quote")).evidence().format()).isEqualTo(EvidenceFormat.SGX_QUOTE_V3);
  }

  @Test
  void detect_realTdxQuotes_v4AndV5() throws Exception {
    assertThat(EvidenceDetector.detect(dcap("tdx_quote")).evidence().format()).isEqualTo(EvidenceFormat.TDX_QUOTE_V4);
    assertThat(EvidenceDetector.detect(dcap("tdx_quote_outdated")).evidence().format())
        .isEqualTo(EvidenceFormat.TDX_QUOTE_V5);
  }

  @Test
  void detect_realSnpReport_snp() throws Exception {
    DecodedEvidence d = EvidenceDetector.detect(SnpTestData.snp("attestation.bin"));

    assertThat(d.evidence().format()).isEqualTo(EvidenceFormat.SNP_REPORT);
    assertThat(d.container()).isEqualTo("bare");
    assertThat(d.notes()).containsEntry("signing_key", "VCEK");
  }

  @Test
  void detect_raTlsCertificateDer_embeddedEvidenceAndNonce() throws Exception {
    DecodedEvidence d = EvidenceDetector.detect(ratls.getEncoded());

    assertThat(d.container()).isEqualTo("ratls-cert");
    assertThat(d.evidence().format()).isEqualTo(EvidenceFormat.SNP_REPORT);
    assertThat(d.notes()).containsEntry("extension", "tcg-dice").containsEntry("nonce", "abcd");
  }

  @Test
  void detect_raTlsCertificatePem_sameEvidence() throws Exception {
    String pem = "\n-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(ratls.getEncoded())
        + "\n-----END CERTIFICATE-----\n";

    DecodedEvidence d = EvidenceDetector.detect(pem.getBytes(StandardCharsets.US_ASCII));

    assertThat(d.evidence()).isEqualTo(EvidenceDetector.detect(ratls.getEncoded()).evidence());
  }

  @Test
  void detect_ordinaryCertificate_unsupportedWithReason() throws Exception {
    byte[] vcek = SnpTestData.snp("vcek.testcer");

    AttestationException e = catchThrowableOfType(AttestationException.class, () -> EvidenceDetector.detect(vcek));

    assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_FORMAT);
    assertThat(e.getMessage()).contains("no RA-TLS evidence extension");
  }

  @Test
  void detect_garbage_unsupported() {
    for (byte[] input : new byte[][] {new byte[0], new byte[] {1, 2, 3}, "hello world".getBytes(), new byte[2000]}) {
      assertThat(catchThrowableOfType(AttestationException.class, () -> EvidenceDetector.detect(input)).reason())
          .isEqualTo(Reason.UNSUPPORTED_FORMAT);
    }
  }

  @Test
  void detect_truncatedSnpWithTable_malformed() throws Exception {
    byte[] report = SnpTestData.snp("attestation.bin");
    byte[] withJunk = java.util.Arrays.copyOf(report, report.length + 10);
    withJunk[report.length] = 1; // a table entry that is cut short

    assertThat(catchThrowableOfType(AttestationException.class, () -> EvidenceDetector.detect(withJunk)).reason())
        .isEqualTo(Reason.MALFORMED);
  }

  @Test
  void serviceLoader_registersSnpAndRaTlsDecoders() {
    assertThat(EvidenceDiagnostics.installedDecoders()).extracting(EvidenceDecoder::name)
        .contains("snp-report", "ratls-cert");
  }
}
