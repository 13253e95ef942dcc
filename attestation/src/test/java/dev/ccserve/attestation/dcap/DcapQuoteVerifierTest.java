package dev.ccserve.attestation.dcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceClaims;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.TcbStatus;
import dev.ccserve.attestation.TeeType;
import dev.ccserve.attestation.testing.TestData;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class DcapQuoteVerifierTest {
  static final Instant AB_AT = Instant.parse("2025-06-20T00:00:00Z");
  static final Instant C_AT = Instant.parse("2026-02-19T00:00:00Z");

  static DcapQuoteVerifier verifier(String collateral, Instant at) throws AttestationException {
    DcapCollateral c = DcapCollateral.fromJson(TestData.text("dcap/" + collateral));
    return DcapQuoteVerifier.intelPinned(FileCollateralSource.of(c), Clock.fixed(at, ZoneOffset.UTC));
  }

  static Evidence evidence(EvidenceFormat f, String file) {
    return Evidence.of(f, TestData.bytes("dcap/" + file));
  }

  @Test
  void verify_setA_sgxConfigurationAndSwHardeningNeeded() throws Exception {
    EvidenceClaims c = verifier("sgx_quote_collateral.json", AB_AT)
        .verify(evidence(EvidenceFormat.SGX_QUOTE_V3, "sgx_quote"));
    assertThat(c.tee()).isEqualTo(TeeType.SGX);
    assertThat(c.tcbStatus()).isEqualTo(TcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED);
    assertThat(c.advisoryIds()).containsExactly("INTEL-SA-00289", "INTEL-SA-00615");
    assertThat(c.measurements()).containsEntry("mr_enclave",
        "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb");
    assertThat(c.measurements()).containsEntry("mr_signer",
        "815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6");
    assertThat(c.isvProdId()).hasValue(0);
    assertThat(c.isvSvn()).hasValue(0);
    assertThat(c.debug()).isFalse();
    assertThat(c.simulated()).isFalse();
    assertThat(new String(c.reportData(), 0, 13, java.nio.charset.StandardCharsets.US_ASCII))
        .isEqualTo("Hello, world!");
    assertThat(c.attributes()).containsEntry("fmspc", "00A067110000")
        .containsEntry("qe_tcb_status", "UpToDate").containsEntry("pck_ca", "processor");
    assertThat(c.collateralExpiry()).isEqualTo(Instant.parse("2025-07-19T10:01:18Z"));
  }

  @Test
  void verify_setB_tdxV4UpToDate() throws Exception {
    EvidenceClaims c = verifier("tdx_quote_collateral.json", AB_AT)
        .verify(evidence(EvidenceFormat.TDX_QUOTE_V4, "tdx_quote"));
    assertThat(c.tee()).isEqualTo(TeeType.TDX);
    assertThat(c.tcbStatus()).isEqualTo(TcbStatus.UP_TO_DATE);
    assertThat(c.advisoryIds()).isEmpty();
    assertThat(c.measurements()).containsEntry("mr_td",
        "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7");
    assertThat(c.reportDataHex()).isEqualTo(
        "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20");
    assertThat(c.attributes()).containsEntry("pck_ca", "platform").containsEntry("fmspc", "B0C06F000000");
    assertThat(c.debug()).isFalse();
    assertThat(c.collateralExpiry()).isEqualTo(Instant.parse("2025-07-19T10:00:35Z"));
  }

  @Test
  void verify_setC_tdxV5TcbNotSupported() throws Exception {
    DcapQuoteVerifier v = verifier("tdx_quote_outdated_collateral.json", C_AT);
    assertThatThrownBy(() -> v.verify(evidence(EvidenceFormat.TDX_QUOTE_V5, "tdx_quote_outdated")))
        .isInstanceOfSatisfying(AttestationException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.TCB_NOT_SUPPORTED);
          assertThat(e.step()).isEqualTo("tcb_level");
        });
  }
}
