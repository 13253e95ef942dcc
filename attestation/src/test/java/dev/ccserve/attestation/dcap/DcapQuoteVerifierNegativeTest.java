package dev.ccserve.attestation.dcap;

import static dev.ccserve.attestation.dcap.DcapQuoteVerifierTest.AB_AT;
import static dev.ccserve.attestation.dcap.DcapQuoteVerifierTest.C_AT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.testing.TestData;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DcapQuoteVerifierNegativeTest {

  private static AttestationException failure(DcapQuoteVerifier v, Evidence e) {
    try {
      v.verify(e);
    } catch (AttestationException ex) {
      return ex;
    }
    throw new AssertionError("expected verification to fail, but it passed");
  }

  static Stream<Arguments> windows() {
    return Stream.of(
        Arguments.of("sgx_quote", EvidenceFormat.SGX_QUOTE_V3, "sgx_quote_collateral.json",
            "2025-06-19T10:56:11Z", "2025-07-19T10:01:18Z"),
        Arguments.of("tdx_quote", EvidenceFormat.TDX_QUOTE_V4, "tdx_quote_collateral.json",
            "2025-06-19T10:32:27Z", "2025-07-19T10:00:35Z"),
        Arguments.of("tdx_quote_outdated", EvidenceFormat.TDX_QUOTE_V5,
            "tdx_quote_outdated_collateral.json", "2026-02-18T10:58:51Z", "2026-03-20T10:41:15Z"));
  }

  @ParameterizedTest
  @MethodSource("windows")
  void verify_afterCollateralWindow_collateralExpired(String quote, EvidenceFormat f, String col,
      String start, String end) throws Exception {
    Instant after = Instant.parse(end).plusSeconds(1);
    AttestationException e = failure(DcapQuoteVerifierTest.verifier(col, after),
        DcapQuoteVerifierTest.evidence(f, quote));
    assertThat(e.reason()).isEqualTo(Reason.COLLATERAL_EXPIRED);
  }

  @ParameterizedTest
  @MethodSource("windows")
  void verify_beforeCollateralWindow_collateralExpired(String quote, EvidenceFormat f, String col,
      String start, String end) throws Exception {
    Instant before = Instant.parse(start).minusSeconds(1);
    AttestationException e = failure(DcapQuoteVerifierTest.verifier(col, before),
        DcapQuoteVerifierTest.evidence(f, quote));
    assertThat(e.reason()).isEqualTo(Reason.COLLATERAL_EXPIRED);
  }

  @ParameterizedTest
  @MethodSource("windows")
  void verify_atWindowEdges_doesNotExpire(String quote, EvidenceFormat f, String col, String start,
      String end) throws Exception {
    for (Instant at : List.of(Instant.parse(start), Instant.parse(end))) {
      DcapQuoteVerifier v = DcapQuoteVerifierTest.verifier(col, at);
      Evidence e = DcapQuoteVerifierTest.evidence(f, quote);
      if (f == EvidenceFormat.TDX_QUOTE_V5) {
        assertThat(failure(v, e).reason()).isEqualTo(Reason.TCB_NOT_SUPPORTED);
      } else {
        assertThat(v.verify(e).collateralExpiry()).isEqualTo(Instant.parse(end));
      }
    }
  }

  @Test
  void verify_withGracePeriod_acceptsExpiredTcbInfo() throws Exception {
    Instant late = Instant.parse("2025-07-20T00:00:00Z");
    DcapQuoteVerifier v = DcapQuoteVerifierTest.verifier("sgx_quote_collateral.json", late)
        .withOptions(new DcapVerifierOptions(java.time.Duration.ofDays(2), java.time.Duration.ofDays(2)));
    assertThat(v.verify(DcapQuoteVerifierTest.evidence(EvidenceFormat.SGX_QUOTE_V3, "sgx_quote"))
        .tcbStatus()).isNotNull();
  }

  /** Offsets in the SGX v3 sample (reference §4.4). */
  static Stream<Arguments> sgxMutations() {
    return Stream.of(
        Arguments.of("header user data", 30, Reason.QUOTE_SIGNATURE_INVALID),
        Arguments.of("header qe svn", 8, Reason.QUOTE_SIGNATURE_INVALID),
        Arguments.of("header vendor id", 12, Reason.UNSUPPORTED_FORMAT),
        Arguments.of("header version", 0, Reason.UNSUPPORTED_FORMAT),
        Arguments.of("body mr_enclave", 112, Reason.QUOTE_SIGNATURE_INVALID),
        Arguments.of("body report_data", 368, Reason.QUOTE_SIGNATURE_INVALID),
        Arguments.of("body attributes", 96, Reason.QUOTE_SIGNATURE_INVALID),
        Arguments.of("quote signature r", 436, Reason.QUOTE_SIGNATURE_INVALID),
        Arguments.of("quote signature s", 499, Reason.QUOTE_SIGNATURE_INVALID),
        Arguments.of("attestation key", 505, Reason.ATTESTATION_KEY_BINDING_INVALID),
        Arguments.of("qe report", 564 + 100, Reason.QE_REPORT_SIGNATURE_INVALID),
        Arguments.of("qe report data", 564 + 320, Reason.QE_REPORT_SIGNATURE_INVALID),
        Arguments.of("qe report signature", 948 + 10, Reason.QE_REPORT_SIGNATURE_INVALID),
        Arguments.of("qe auth data", 1014 + 3, Reason.ATTESTATION_KEY_BINDING_INVALID),
        Arguments.of("signature data length", 432, Reason.MALFORMED));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sgxMutations")
  void verify_sgxFlippedByte_rejectedWithReason(String what, int offset, Reason reason)
      throws Exception {
    byte[] q = TestData.bytes("dcap/sgx_quote");
    q[offset] ^= (byte) (offset == 432 ? 0x40 : 0x01);
    AttestationException e = failure(
        DcapQuoteVerifierTest.verifier("sgx_quote_collateral.json", AB_AT),
        Evidence.of(EvidenceFormat.SGX_QUOTE_V3, q));
    assertThat(e.reason()).as(what + ": " + e.getMessage()).isEqualTo(reason);
  }

  /** Offsets in the TDX v4 sample: body @48, signature @636, key @700, QE report @770. */
  static Stream<Arguments> tdxMutations() {
    return Stream.of(
        Arguments.of("header user data", 40, Reason.QUOTE_SIGNATURE_INVALID),
        Arguments.of("body mr_td", 184, Reason.QUOTE_SIGNATURE_INVALID),
        Arguments.of("body rtmr3", 520, Reason.QUOTE_SIGNATURE_INVALID),
        Arguments.of("body report_data", 600, Reason.QUOTE_SIGNATURE_INVALID),
        Arguments.of("quote signature", 640, Reason.QUOTE_SIGNATURE_INVALID),
        Arguments.of("attestation key", 710, Reason.ATTESTATION_KEY_BINDING_INVALID),
        Arguments.of("qe report", 770 + 64, Reason.QE_REPORT_SIGNATURE_INVALID),
        Arguments.of("qe report signature", 770 + 384 + 3, Reason.QE_REPORT_SIGNATURE_INVALID),
        Arguments.of("qe auth data", 770 + 448 + 2 + 5, Reason.ATTESTATION_KEY_BINDING_INVALID),
        Arguments.of("outer cert type", 764, Reason.UNSUPPORTED_FORMAT));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tdxMutations")
  void verify_tdxFlippedByte_rejectedWithReason(String what, int offset, Reason reason)
      throws Exception {
    byte[] q = TestData.bytes("dcap/tdx_quote");
    q[offset] ^= 0x01;
    AttestationException e = failure(
        DcapQuoteVerifierTest.verifier("tdx_quote_collateral.json", AB_AT),
        Evidence.of(EvidenceFormat.TDX_QUOTE_V4, q));
    assertThat(e.reason()).as(what + ": " + e.getMessage()).isEqualTo(reason);
  }

  @Test
  void verify_pckLeafSignatureCharFlipped_certChainInvalid() throws Exception {
    byte[] q = TestData.bytes("dcap/sgx_quote");
    String s = new String(q, StandardCharsets.ISO_8859_1);
    int end = s.indexOf("-----END CERTIFICATE-----");
    int i = end - 1;
    int seen = 0;
    while (seen < 12) { // step back over newline/padding into the signature's base64
      char c = s.charAt(i);
      if (Character.isLetterOrDigit(c)) {
        seen++;
      }
      i--;
    }
    i++;
    q[i] = (byte) (q[i] == 'A' ? 'B' : 'A');
    AttestationException e = failure(
        DcapQuoteVerifierTest.verifier("sgx_quote_collateral.json", AB_AT),
        Evidence.of(EvidenceFormat.SGX_QUOTE_V3, q));
    assertThat(e.reason()).as(e.getMessage()).isEqualTo(Reason.CERT_CHAIN_INVALID);
    assertThat(e.step()).isEqualTo("pck_chain");
  }

  @Test
  void verify_tcbInfoTextChanged_collateralSignatureInvalid() throws Exception {
    DcapCollateral c = DcapCollateral.fromJson(TestData.text("dcap/sgx_quote_collateral.json"));
    String changed = c.tcbInfo().replace("\"tcbEvaluationDataNumber\":17", "\"tcbEvaluationDataNumber\":18");
    assertThat(changed).isNotEqualTo(c.tcbInfo());
    assertReason(c.withTcbInfo(changed, c.tcbInfoSignature()), Reason.COLLATERAL_SIGNATURE_INVALID,
        "tcb_info.signature");
  }

  @Test
  void verify_tcbInfoSignatureFlipped_collateralSignatureInvalid() throws Exception {
    DcapCollateral c = DcapCollateral.fromJson(TestData.text("dcap/sgx_quote_collateral.json"));
    byte[] sig = c.tcbInfoSignature();
    sig[7] ^= 1;
    assertReason(c.withTcbInfo(c.tcbInfo(), sig), Reason.COLLATERAL_SIGNATURE_INVALID,
        "tcb_info.signature");
  }

  @Test
  void verify_qeIdentityTextChanged_collateralSignatureInvalid() throws Exception {
    DcapCollateral c = DcapCollateral.fromJson(TestData.text("dcap/sgx_quote_collateral.json"));
    String changed = c.qeIdentity().replace("\"isvprodid\":1", "\"isvprodid\":2");
    assertThat(changed).isNotEqualTo(c.qeIdentity());
    assertReason(c.withQeIdentity(changed, c.qeIdentitySignature()),
        Reason.COLLATERAL_SIGNATURE_INVALID, "qe_identity.signature");
  }

  @Test
  void verify_collateralOfOtherPlatform_collateralMismatch() throws Exception {
    DcapCollateral c = DcapCollateral.fromJson(TestData.text("dcap/tdx_quote_collateral.json"));
    assertReason(c, Reason.COLLATERAL_MISMATCH, "pck_crl");
  }

  private static void assertReason(DcapCollateral c, Reason reason, String step) {
    DcapQuoteVerifier v = DcapQuoteVerifier.intelPinned(FileCollateralSource.of(c),
        Clock.fixed(AB_AT, ZoneOffset.UTC));
    AttestationException e = failure(v,
        Evidence.of(EvidenceFormat.SGX_QUOTE_V3, TestData.bytes("dcap/sgx_quote")));
    assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
    assertThat(e.step()).isEqualTo(step);
  }

  @Test
  void verify_intelTestRootTdxQuote_untrustedRoot() throws Exception {
    Instant at = Instant.parse("2022-01-01T00:00:00Z");
    DcapQuoteVerifier v = DcapQuoteVerifierTest.verifier("tdx_quote_collateral.json", at);
    AttestationException e = failure(v,
        Evidence.of(EvidenceFormat.TDX_QUOTE_V4, TestData.bytes("intel-test-root/tdx/quote.dat")));
    assertThat(e.reason()).as(e.getMessage()).isEqualTo(Reason.UNTRUSTED_ROOT);
    assertThat(e.step()).isEqualTo("pck_chain");
  }

  @Test
  void verify_intelTestRootSgxQuoteWithPpidOnly_pckNotInQuote() throws Exception {
    Instant at = Instant.parse("2020-01-01T00:00:00Z");
    DcapQuoteVerifier v = DcapQuoteVerifierTest.verifier("sgx_quote_collateral.json", at);
    AttestationException e = failure(v,
        Evidence.of(EvidenceFormat.SGX_QUOTE_V3, TestData.bytes("intel-test-root/quote.dat")));
    assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_FORMAT);
    assertThat(e.getMessage()).contains("PCK certificate not in quote");
  }

  @Test
  void validate_intelTestRootPckChain_untrustedRootUnlessTestRootTrusted() throws Exception {
    Instant at = Instant.parse("2020-01-01T00:00:00Z");
    byte[] chain = (TestData.text("intel-test-root/pckCert.pem")
        + TestData.text("intel-test-root/pckSignChain.pem")).getBytes(StandardCharsets.US_ASCII);
    List<X509Certificate> certs = CertChains.parse(chain, "t");
    assertThatThrownBy(() -> CertChains.validate(certs, List.of(IntelSgxRootCa.trustedRoot()), at, "t"))
        .isInstanceOfSatisfying(AttestationException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.UNTRUSTED_ROOT));
    X509Certificate testRoot = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(TestData.path("intel-test-root/trustedRootCaCert.pem").toUri().toURL().openStream());
    CertChains.Validated ok = CertChains.validate(certs,
        List.of(new TrustedRoot("intel test root", testRoot.getPublicKey(), false)), at, "t");
    assertThat(ok.leaf().getSubjectX500Principal().getName()).contains("PCK Certificate");
  }

  @Test
  void verify_realQuoteWithOnlyTestRootTrusted_untrustedRoot() throws Exception {
    X509Certificate testRoot = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(TestData.path("intel-test-root/trustedRootCaCert.pem").toUri().toURL().openStream());
    DcapCollateral c = DcapCollateral.fromJson(TestData.text("dcap/sgx_quote_collateral.json"));
    DcapQuoteVerifier v = new DcapQuoteVerifier(
        List.of(new TrustedRoot("intel test root", testRoot.getPublicKey(), false)),
        FileCollateralSource.of(c), Clock.fixed(AB_AT, ZoneOffset.UTC), DcapVerifierOptions.STRICT);
    AttestationException e = failure(v,
        Evidence.of(EvidenceFormat.SGX_QUOTE_V3, TestData.bytes("dcap/sgx_quote")));
    assertThat(e.reason()).isEqualTo(Reason.UNTRUSTED_ROOT);
  }

  @Test
  void verify_declaredFormatDiffers_malformed() throws Exception {
    AttestationException e = failure(
        DcapQuoteVerifierTest.verifier("sgx_quote_collateral.json", AB_AT),
        Evidence.of(EvidenceFormat.TDX_QUOTE_V4, TestData.bytes("dcap/sgx_quote")));
    assertThat(e.reason()).isEqualTo(Reason.MALFORMED);
  }

  @Test
  void verify_setCAtIntermediateInstant_stillTcbNotSupported() throws Exception {
    AttestationException e = failure(
        DcapQuoteVerifierTest.verifier("tdx_quote_outdated_collateral.json", C_AT.plusSeconds(3600)),
        DcapQuoteVerifierTest.evidence(EvidenceFormat.TDX_QUOTE_V5, "tdx_quote_outdated"));
    assertThat(e.reason()).isEqualTo(Reason.TCB_NOT_SUPPORTED);
    assertThat(e.getMessage()).contains("no TCB level");
  }
}
