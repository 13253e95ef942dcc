package dev.ccserve.attestation.snp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceClaims;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.TcbStatus;
import dev.ccserve.attestation.TeeType;
import dev.ccserve.attestation.policy.PolicyGate;
import dev.ccserve.attestation.policy.ReferencePolicy;
import dev.ccserve.attestation.policy.SnpReference;
import dev.ccserve.attestation.policy.VerifiedClaims;
import dev.ccserve.attestation.snp.SnpReport.SigningKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnpVerifierTest {
  static final Instant PINNED = Instant.parse("2025-06-20T00:00:00Z");
  static final String MEASUREMENT =
      "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01";
  static final String CHIP_ID =
      "3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e53786184ca39e359669a2b76a1936776b564ea4"
          + "64cdce40c05f63c9b610c5068b006b5d";

  static Clock at(Instant t) {
    return Clock.fixed(t, ZoneOffset.UTC);
  }

  static SnpVerifier milanVerifier(Instant t) {
    return SnpVerifier.builder()
        .clock(at(t))
        .vcekSource(new FileVcekSource(SnpTestData.snpPath("vcek.testcer")))
        .build();
  }

  static Evidence realEvidence() {
    return Evidence.of(EvidenceFormat.SNP_REPORT, SnpTestData.snp("attestation.bin"));
  }

  @Test
  void verify_realReportAtPinnedInstant_returnsExpectedClaims() throws Exception {
    EvidenceClaims c = milanVerifier(PINNED).verify(realEvidence());

    assertThat(c.tee()).isEqualTo(TeeType.SEV_SNP);
    assertThat(c.measurement("measurement")).contains(MEASUREMENT);
    assertThat(c.reportDataHex()).isEqualTo("0102030405" + "00".repeat(59));
    assertThat(c.debug()).isTrue();
    assertThat(c.simulated()).isFalse();
    assertThat(c.tcbStatus()).isEqualTo(TcbStatus.UP_TO_DATE);
    assertThat(c.collateralExpiry()).isEqualTo(Instant.parse("2029-09-24T00:55:28Z"));
    assertThat(c.attributes())
        .containsEntry("product", "Milan")
        .containsEntry("policy", "0x00000000000b0000")
        .containsEntry("reported_tcb", "blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68")
        .containsEntry("chip_id", CHIP_ID)
        .containsEntry("firmware", "1.49.3")
        .containsEntry("signing_key", "VCEK");
    assertThat(c.isvSvn()).hasValue(0);
  }

  @Test
  void verify_vcekInCertificateTable_verifiesWithoutSource() throws Exception {
    byte[] vcek = SnpTestData.snp("vcek.testcer");
    Evidence e = SnpEvidence.toEvidence(
        SnpTestData.snp("attestation.bin"), SnpCertificateTable.of(Map.of(SnpCertificateTable.VCEK, vcek)));

    EvidenceClaims c = SnpVerifier.builder().clock(at(PINNED)).build().verify(e);

    assertThat(c.measurement("measurement")).contains(MEASUREMENT);
  }

  @Test
  void verify_vcekDirectoryByChipId_verifies(@TempDir Path dir) throws Exception {
    java.nio.file.Files.write(dir.resolve(CHIP_ID + ".der"), SnpTestData.snp("vcek.testcer"));
    SnpVerifier v = SnpVerifier.builder().clock(at(PINNED)).vcekSource(new FileVcekSource(dir)).build();

    assertThat(v.verify(realEvidence()).attributes()).containsEntry("product", "Milan");
  }

  @Test
  void verify_noVcekAnywhere_collateralUnavailable() {
    SnpVerifier v = SnpVerifier.builder().clock(at(PINNED)).build();

    AttestationException e = catchThrowableOfType(AttestationException.class, () -> v.verify(realEvidence()));

    assertThat(e.reason()).isEqualTo(Reason.COLLATERAL_UNAVAILABLE);
  }

  @Test
  void policyGate_debugGuestUnderDefaultPolicy_rejectedAsPolicyNotSignature() throws Exception {
    EvidenceClaims c = milanVerifier(PINNED).verify(realEvidence());
    ReferencePolicy strict =
        ReferencePolicy.snpOnly("test", new SnpReference(Set.of(MEASUREMENT), Map.of(), 0, 0, 0));

    AttestationException e =
        catchThrowableOfType(AttestationException.class, () -> new PolicyGate(strict).check(c));
    VerifiedClaims ok = new PolicyGate(strict.withAllowDebugEnclavesInsecure(true)).check(c);

    assertThat(e.reason()).isEqualTo(Reason.DEBUG_NOT_ALLOWED);
    assertThat(ok.claims().measurement("measurement")).contains(MEASUREMENT);
  }

  @Test
  void verify_genoaTrustAnchorsOnly_untrustedRoot() throws Exception {
    String genoa = new String(SnpTestData.snp("ask_ark_genoa.pem"), StandardCharsets.US_ASCII);
    SnpVerifier v = SnpVerifier.builder()
        .clock(at(PINNED))
        .trustAnchors(SnpTrustAnchors.of(SnpTrustAnchors.chainFromPem(SnpProduct.GENOA, SigningKey.VCEK, genoa)))
        .vcekSource(new FileVcekSource(SnpTestData.snpPath("vcek.testcer")))
        .build();

    AttestationException e = catchThrowableOfType(AttestationException.class, () -> v.verify(realEvidence()));

    assertThat(e.reason()).isEqualTo(Reason.UNTRUSTED_ROOT);
  }

  @Test
  void verify_genoaChainPresentedAsMilan_chainSignatureFails() throws Exception {
    var certs = AmdCertificates.parseAll(SnpTestData.snp("ask_ark_genoa.pem"), "t");
    SnpVerifier v = SnpVerifier.builder()
        .clock(at(PINNED))
        .trustAnchors(SnpTrustAnchors.of(
            SnpTrustAnchors.insecureUnpinnedChain(SnpProduct.MILAN, SigningKey.VCEK, certs.get(0), certs.get(1))))
        .vcekSource(new FileVcekSource(SnpTestData.snpPath("vcek.testcer")))
        .build();

    AttestationException e = catchThrowableOfType(AttestationException.class, () -> v.verify(realEvidence()));

    assertThat(e.reason()).isEqualTo(Reason.CERT_CHAIN_INVALID);
    assertThat(e.step()).isEqualTo("vcek_chain");
  }

  @Test
  void chainFromPem_genoaChainClaimedAsMilan_untrustedRoot() {
    String genoa = new String(SnpTestData.snp("ask_ark_genoa.pem"), StandardCharsets.US_ASCII);

    assertThatThrownBy(() -> SnpTrustAnchors.chainFromPem(SnpProduct.MILAN, SigningKey.VCEK, genoa))
        .isInstanceOfSatisfying(AttestationException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.UNTRUSTED_ROOT));
  }

  @Test
  void bundled_allChains_pinnedAndParsed() {
    assertThat(SnpTrustAnchors.bundled().chains()).hasSize(5).allMatch(SnpTrustAnchors.Chain::pinned);
  }

  @Test
  void verify_afterVcekExpiry_collateralExpired() {
    SnpVerifier v = milanVerifier(Instant.parse("2029-09-24T00:55:29Z"));

    AttestationException e = catchThrowableOfType(AttestationException.class, () -> v.verify(realEvidence()));

    assertThat(e.reason()).isEqualTo(Reason.COLLATERAL_EXPIRED);
    assertThat(e.step()).isEqualTo("vcek_validity");
  }

  @Test
  void verify_beforeVcekValidity_collateralExpired() {
    SnpVerifier v = milanVerifier(Instant.parse("2022-09-24T00:55:27Z"));

    assertThatThrownBy(() -> v.verify(realEvidence()))
        .isInstanceOfSatisfying(AttestationException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.COLLATERAL_EXPIRED));
  }

  @Test
  void verify_flippedByteInSignedRegion_fails() {
    SnpVerifier v = milanVerifier(PINNED);
    byte[] good = SnpTestData.snp("attestation.bin");
    // every header byte, then every 5th byte (ECDSA P-384 verification costs a few ms each)
    for (int i = 0; i < SnpReport.SIGNED_LENGTH; i += i < 0x50 ? 1 : 5) {
      byte[] bad = good.clone();
      bad[i] ^= 0x01;
      int at = i;
      AttestationException e = catchThrowableOfType(AttestationException.class,
          () -> v.verify(Evidence.of(EvidenceFormat.SNP_REPORT, bad)));
      assertThat(e).as("flip at 0x%x", at).isNotNull();
      if (at >= 0x050 && at < 0x140) { // report_data, measurement, host_data, key digests
        assertThat(e.reason()).as("flip at 0x%x", at).isEqualTo(Reason.REPORT_SIGNATURE_INVALID);
      }
    }
  }

  @Test
  void verify_flippedSignatureByte_reportSignatureInvalid() {
    SnpVerifier v = milanVerifier(PINNED);
    byte[] good = SnpTestData.snp("attestation.bin");
    for (int i = SnpReport.SIGNED_LENGTH; i < SnpReport.SIGNED_LENGTH + 144; i += 3) {
      byte[] bad = good.clone();
      bad[i] ^= 0x80;
      AttestationException e = catchThrowableOfType(AttestationException.class,
          () -> v.verify(Evidence.of(EvidenceFormat.SNP_REPORT, bad)));
      assertThat(e).as("flip at 0x%x", i).isNotNull();
      assertThat(e.reason()).as("flip at 0x%x", i).isEqualTo(Reason.REPORT_SIGNATURE_INVALID);
    }
  }

  @Test
  void verify_flippedVcekBytes_fail() {
    byte[] report = SnpTestData.snp("attestation.bin");
    byte[] vcek = SnpTestData.snp("vcek.testcer");
    SnpVerifier v = SnpVerifier.builder().clock(at(PINNED)).build();
    for (int i = 4; i < vcek.length; i += 13) {
      byte[] bad = vcek.clone();
      bad[i] ^= 0x01;
      Evidence e = SnpEvidence.toEvidence(report, SnpCertificateTable.of(Map.of(SnpCertificateTable.VCEK, bad)));
      int at = i;
      assertThatThrownBy(() -> v.verify(e)).as("VCEK flip at %d", at).isInstanceOf(AttestationException.class);
    }
  }

  @Test
  void verify_flippedVcekPublicKey_chainInvalid() {
    byte[] vcek = SnpTestData.snp("vcek.testcer");
    byte[] key = HexFormat.of().parseHex("48ec9f362eedee5e");
    int at = indexOf(vcek, key);
    vcek[at + 3] ^= 0x01;
    Evidence e = SnpEvidence.toEvidence(
        SnpTestData.snp("attestation.bin"), SnpCertificateTable.of(Map.of(SnpCertificateTable.VCEK, vcek)));

    AttestationException ex = catchThrowableOfType(AttestationException.class,
        () -> SnpVerifier.builder().clock(at(PINNED)).build().verify(e));

    assertThat(ex.reason()).isIn(Reason.CERT_CHAIN_INVALID, Reason.MALFORMED);
  }

  @Test
  void verify_truncatedReport_malformed() {
    byte[] good = SnpTestData.snp("attestation.bin");
    for (int len : new int[] {0, 1, 0x2A0, SnpReport.SIZE - 1}) {
      byte[] bad = java.util.Arrays.copyOf(good, len);
      assertThatThrownBy(() -> milanVerifier(PINNED).verify(Evidence.of(EvidenceFormat.SNP_REPORT, bad)))
          .isInstanceOfSatisfying(AttestationException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED));
    }
  }

  @Test
  void verify_wrongFormat_unsupported() {
    assertThatThrownBy(() -> milanVerifier(PINNED).verify(Evidence.of(EvidenceFormat.SGX_QUOTE_V3, new byte[10])))
        .isInstanceOfSatisfying(AttestationException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_FORMAT));
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}
