package dev.ccserve.attestation.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.EvidenceClaims;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.TcbStatus;
import dev.ccserve.attestation.TeeType;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PolicyGateTest {
  static final String MRE = "aa".repeat(32);
  static final String MRS = "bb".repeat(32);
  static final String MRTD = "cc".repeat(48);
  static final String MEAS = "dd".repeat(48);

  static EvidenceClaims.Builder sgx() {
    return EvidenceClaims.builder(TeeType.SGX, EvidenceFormat.SGX_QUOTE_V3)
        .measurement("mr_enclave", MRE).measurement("mr_signer", MRS)
        .isvProdId(7).isvSvn(3).reportData(new byte[64]).tcbStatus(TcbStatus.UP_TO_DATE)
        .attribute("attributes", "0500000000000000e700000000000000");
  }

  @Test
  void check_sgxAttributes_gramineRules() {
    assertThat(reason(sgxPolicy(), sgx().attribute("attributes", "0700000000000000e700000000000000")
        .debug(true).build())).isEqualTo(Reason.DEBUG_NOT_ALLOWED);
    for (String bad : new String[] {"0400000000000000e700000000000000", // INIT clear
        "0100000000000000e700000000000000", // MODE64BIT clear
        "1500000000000000e700000000000000", // PROVISION_KEY
        "2500000000000000e700000000000000", // EINITTOKEN_KEY
        "00000000000000000000000000000000"}) { // the Intel QVL sample body
      assertThat(reason(sgxPolicy(), sgx().attribute("attributes", bad).build())).as(bad)
          .isEqualTo(Reason.POLICY_DENIED);
    }
    EvidenceClaims noAttrs = EvidenceClaims.builder(TeeType.SGX, EvidenceFormat.SGX_QUOTE_V3)
        .measurement("mr_enclave", MRE).measurement("mr_signer", MRS).isvProdId(7).isvSvn(3).build();
    assertThat(reason(sgxPolicy(), noAttrs)).isEqualTo(Reason.POLICY_DENIED);
  }

  static ReferencePolicy sgxPolicy() {
    return ReferencePolicy.sgxOnly("p", new SgxReference(Set.of(MRE), Set.of(MRS), 7, 3));
  }

  static Reason reason(ReferencePolicy p, EvidenceClaims c) {
    try {
      new PolicyGate(p).check(c);
    } catch (AttestationException e) {
      assertThat(e.step()).startsWith("policy.");
      return e.reason();
    }
    return null;
  }

  @Test
  void check_allValuesMatch_returnsVerifiedClaims() throws Exception {
    EvidenceClaims c = sgx().build();
    VerifiedClaims v = new PolicyGate(sgxPolicy()).check(c);
    assertThat(v.claims()).isSameAs(c);
    assertThat(v.policyName()).isEqualTo("p");
  }

  @Test
  void check_sgxReferenceValues_eachMismatchRejected() {
    assertThat(reason(sgxPolicy(), sgx().measurement("mr_enclave", "ab".repeat(32)).build()))
        .isEqualTo(Reason.MEASUREMENT_MISMATCH);
    assertThat(reason(sgxPolicy(), sgx().measurement("mr_signer", "ab".repeat(32)).build()))
        .isEqualTo(Reason.MEASUREMENT_MISMATCH);
    assertThat(reason(sgxPolicy(), sgx().isvProdId(8).build())).isEqualTo(Reason.MEASUREMENT_MISMATCH);
    assertThat(reason(sgxPolicy(), sgx().isvSvn(2).build())).isEqualTo(Reason.SVN_TOO_LOW);
    assertThat(reason(sgxPolicy(), sgx().isvSvn(4).build())).isNull();
  }

  @Test
  void check_onlyMrSignerPinned_anyMrEnclaveAccepted() {
    ReferencePolicy p = ReferencePolicy.sgxOnly("p", new SgxReference(Set.of(), Set.of(MRS), null, 0));
    assertThat(reason(p, sgx().measurement("mr_enclave", "01".repeat(32)).build())).isNull();
  }

  @Test
  void sgxReference_noMeasurementAtAll_rejectedAtConstruction() {
    assertThatThrownBy(() -> new SgxReference(Set.of(), Set.of(), null, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mr_enclave or mr_signer");
    assertThatThrownBy(() -> new SgxReference(Set.of("abc"), Set.of(), null, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hex");
  }

  @Test
  void check_debug_rejectedUnlessAllowedInsecure() {
    EvidenceClaims c = sgx().debug(true).build();
    assertThat(reason(sgxPolicy(), c)).isEqualTo(Reason.DEBUG_NOT_ALLOWED);
    assertThat(reason(sgxPolicy().withAllowDebugEnclavesInsecure(true), c)).isNull();
  }

  @Test
  void check_simulated_rejectedUnlessTrusted() {
    EvidenceClaims c = sgx().simulated(true).build();
    assertThat(reason(sgxPolicy(), c)).isEqualTo(Reason.SIMULATED_NOT_TRUSTED);
    assertThat(reason(sgxPolicy().withTrustSimulatedInsecure(true), c)).isNull();
  }

  @ParameterizedTest
  @EnumSource(TcbStatus.class)
  void check_defaultPolicy_acceptsOnlyUpToDate(TcbStatus status) {
    Reason r = reason(sgxPolicy(), sgx().tcbStatus(status).build());
    if (status == TcbStatus.UP_TO_DATE) {
      assertThat(r).isNull();
    } else {
      assertThat(r).isEqualTo(Reason.TCB_STATUS_REJECTED);
    }
  }

  @ParameterizedTest
  @EnumSource(value = TcbStatus.class, names = {"SW_HARDENING_NEEDED", "CONFIGURATION_NEEDED",
      "CONFIGURATION_AND_SW_HARDENING_NEEDED", "OUT_OF_DATE", "OUT_OF_DATE_CONFIGURATION_NEEDED"})
  void check_statusExplicitlyAccepted_accepted(TcbStatus status) {
    ReferencePolicy p = sgxPolicy().withAcceptedTcbStatuses(Set.of(TcbStatus.UP_TO_DATE, status));
    assertThat(reason(p, sgx().tcbStatus(status).build())).isNull();
    assertThat(reason(p, sgx().tcbStatus(TcbStatus.REVOKED).build()))
        .isEqualTo(Reason.TCB_STATUS_REJECTED);
  }

  @Test
  void referencePolicy_acceptRevoked_rejectedAtConstruction() {
    assertThatThrownBy(() -> sgxPolicy().withAcceptedTcbStatuses(Set.of(TcbStatus.REVOKED)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Revoked");
  }

  @Test
  void check_deniedAdvisory_rejected() {
    ReferencePolicy p = new ReferencePolicy("p", sgxPolicy().sgx(), null, null,
        Set.of(TcbStatus.SW_HARDENING_NEEDED), Set.of("INTEL-SA-00615"), false, false, "");
    assertThat(reason(p, sgx().tcbStatus(TcbStatus.SW_HARDENING_NEEDED)
        .advisoryIds(List.of("INTEL-SA-00289")).build())).isNull();
    assertThat(reason(p, sgx().tcbStatus(TcbStatus.SW_HARDENING_NEEDED)
        .advisoryIds(List.of("INTEL-SA-00615")).build())).isEqualTo(Reason.TCB_STATUS_REJECTED);
  }

  @Test
  void check_reportDataPrefix_enforced() {
    byte[] rd = new byte[64];
    rd[0] = 0x12;
    rd[1] = 0x34;
    ReferencePolicy p = sgxPolicy().withReportDataPrefixHex("1234");
    assertThat(reason(p, sgx().reportData(rd).build())).isNull();
    rd[1] = 0x35;
    assertThat(reason(p, sgx().reportData(rd).build())).isEqualTo(Reason.REPORT_DATA_MISMATCH);
  }

  @Test
  void check_teeWithoutSection_policyDenied() {
    EvidenceClaims tdx = EvidenceClaims.builder(TeeType.TDX, EvidenceFormat.TDX_QUOTE_V4)
        .measurement("mr_td", MRTD).build();
    assertThat(reason(sgxPolicy(), tdx)).isEqualTo(Reason.POLICY_DENIED);
  }

  @Test
  void check_tdxReferenceValues() {
    ReferencePolicy p = ReferencePolicy.tdxOnly("t",
        new TdxReference(Set.of(MRTD), Map.of("rtmr1", Set.of("11".repeat(48)))));
    EvidenceClaims.Builder b = EvidenceClaims.builder(TeeType.TDX, EvidenceFormat.TDX_QUOTE_V4)
        .measurement("mr_td", MRTD).measurement("rtmr1", "11".repeat(48));
    assertThat(reason(p, b.build())).isNull();
    assertThat(reason(p, b.measurement("rtmr1", "12".repeat(48)).build()))
        .isEqualTo(Reason.MEASUREMENT_MISMATCH);
    assertThat(reason(p, b.measurement("rtmr1", "11".repeat(48)).measurement("mr_td", "00".repeat(48))
        .build())).isEqualTo(Reason.MEASUREMENT_MISMATCH);
  }

  @Test
  void check_snpMeasurementAndPolicyBits() {
    ReferencePolicy p = ReferencePolicy.snpOnly("s",
        new SnpReference(Set.of(MEAS), Map.of(), 1, 0x30000L, 0x100000L));
    EvidenceClaims.Builder b = EvidenceClaims.builder(TeeType.SEV_SNP, EvidenceFormat.SNP_REPORT)
        .measurement("measurement", MEAS).isvSvn(1).attribute("policy", "0x0000000000030000");
    assertThat(reason(p, b.build())).isNull();
    assertThat(reason(p, b.attribute("policy", "0x0000000000130000").build()))
        .isEqualTo(Reason.POLICY_DENIED);
    assertThat(reason(p, b.attribute("policy", "0x0000000000020000").build()))
        .isEqualTo(Reason.POLICY_DENIED);
    assertThat(reason(p, b.attribute("policy", "0x0000000000030000").isvSvn(0).build()))
        .isEqualTo(Reason.SVN_TOO_LOW);
    assertThat(reason(p, b.isvSvn(1).measurement("measurement", "00".repeat(48)).build()))
        .isEqualTo(Reason.MEASUREMENT_MISMATCH);
  }
}
