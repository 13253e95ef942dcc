package dev.ccserve.attestation.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceClaims;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.TcbStatus;
import dev.ccserve.attestation.dcap.DcapCollateral;
import dev.ccserve.attestation.dcap.DcapQuoteVerifier;
import dev.ccserve.attestation.dcap.FileCollateralSource;
import dev.ccserve.attestation.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReferencePolicyLoaderTest {
  static final String SET_A_MRENCLAVE = "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb";

  @Test
  void parse_fullYaml_allFieldsRead() throws Exception {
    String yaml = String.join("\n",
        "name: prod",
        "sgx:",
        "  mr_enclave: [\"" + "AA".repeat(32) + "\"]",
        "  mr_signer: \"" + "bb".repeat(32) + "\"",
        "  isv_prod_id: 1",
        "  min_isv_svn: 2",
        "tdx:",
        "  mr_td: [\"" + "cc".repeat(48) + "\"]",
        "  rtmr2: [\"" + "dd".repeat(48) + "\"]",
        "snp:",
        "  measurement: [\"" + "ee".repeat(48) + "\"]",
        "  host_data: [\"" + "ff".repeat(32) + "\"]",
        "  policy_bits_required: \"0x30000\"",
        "accepted_tcb_statuses: [UpToDate, SWHardeningNeeded]",
        "denied_advisory_ids: [INTEL-SA-00615]",
        "report_data_prefix: \"0xABCD\"",
        "");
    ReferencePolicy p = ReferencePolicyLoader.parse(yaml, "p.yaml");
    assertThat(p.name()).isEqualTo("prod");
    assertThat(p.sgx().mrEnclave()).containsExactly("aa".repeat(32));
    assertThat(p.sgx().mrSigner()).containsExactly("bb".repeat(32));
    assertThat(p.sgx().isvProdId()).isEqualTo(1);
    assertThat(p.sgx().minIsvSvn()).isEqualTo(2);
    assertThat(p.tdx().others()).containsKey("rtmr2");
    assertThat(p.snp().policyBitsRequired()).isEqualTo(0x30000L);
    assertThat(p.snp().others()).containsKey("host_data");
    assertThat(p.acceptedTcbStatuses())
        .containsExactlyInAnyOrder(TcbStatus.UP_TO_DATE, TcbStatus.SW_HARDENING_NEEDED);
    assertThat(p.deniedAdvisoryIds()).containsExactly("INTEL-SA-00615");
    assertThat(p.reportDataPrefixHex()).isEqualTo("abcd");
    assertThat(p.allowDebugEnclavesInsecure()).isFalse();
    assertThat(p.trustSimulatedInsecure()).isFalse();
  }

  @Test
  void parse_defaults_strict() throws Exception {
    ReferencePolicy p = ReferencePolicyLoader.parse(
        "sgx: {mr_signer: \"" + "bb".repeat(32) + "\"}", "x.yaml");
    assertThat(p.acceptedTcbStatuses()).containsExactly(TcbStatus.UP_TO_DATE);
    assertThat(p.name()).isEqualTo("x.yaml");
  }

  @Test
  void parse_unknownKey_errorNamesKey() {
    assertThatThrownBy(() -> ReferencePolicyLoader.parse(
        "sgx: {mr_enclav: \"" + "aa".repeat(32) + "\"}", "p.yaml"))
        .isInstanceOf(PolicyFormatException.class).hasMessageContaining("sgx.mr_enclav")
        .hasMessageContaining("p.yaml");
    assertThatThrownBy(() -> ReferencePolicyLoader.parse("allow_debug: true\nsgx: {}", "p.yaml"))
        .isInstanceOf(PolicyFormatException.class).hasMessageContaining("allow_debug");
  }

  @Test
  void parse_badValues_clearErrors() {
    assertThatThrownBy(() -> ReferencePolicyLoader.parse("sgx: {mr_enclave: \"xyz\"}", "p.yaml"))
        .isInstanceOf(PolicyFormatException.class).hasMessageContaining("sgx.mr_enclave");
    assertThatThrownBy(() -> ReferencePolicyLoader.parse(
        "sgx: {mr_signer: \"" + "bb".repeat(32) + "\"}\naccepted_tcb_statuses: [Fine]", "p.yaml"))
        .isInstanceOf(PolicyFormatException.class).hasMessageContaining("Fine");
    assertThatThrownBy(() -> ReferencePolicyLoader.parse(
        "sgx: {mr_signer: \"" + "bb".repeat(32) + "\"}\ntrust_simulated_insecure: yes please", "p.yaml"))
        .isInstanceOf(PolicyFormatException.class).hasMessageContaining("trust_simulated_insecure");
    assertThatThrownBy(() -> ReferencePolicyLoader.parse("name: only", "p.yaml"))
        .isInstanceOf(PolicyFormatException.class).hasMessageContaining("sgx, tdx, snp");
    assertThatThrownBy(() -> ReferencePolicyLoader.parse(": : :\n- [", "p.yaml"))
        .isInstanceOf(PolicyFormatException.class);
  }

  @Test
  void load_jsonFile(@TempDir Path dir) throws Exception {
    Path f = Files.writeString(dir.resolve("p.json"),
        "{\"sgx\": {\"mr_enclave\": [\"" + SET_A_MRENCLAVE + "\"]}, \"trust_simulated_insecure\": true}");
    ReferencePolicy p = ReferencePolicyLoader.load(f);
    assertThat(p.trustSimulatedInsecure()).isTrue();
    assertThatThrownBy(() -> ReferencePolicyLoader.load(dir.resolve("missing.yaml")))
        .isInstanceOf(PolicyFormatException.class).hasMessageContaining("missing.yaml");
  }

  @Test
  void gate_realSetA_defaultRejectsStatus_explicitAcceptancePasses() throws Exception {
    DcapCollateral col = DcapCollateral.fromJson(TestData.text("dcap/sgx_quote_collateral.json"));
    EvidenceClaims c = DcapQuoteVerifier.intelPinned(FileCollateralSource.of(col),
        Clock.fixed(Instant.parse("2025-06-20T00:00:00Z"), ZoneOffset.UTC))
        .verify(Evidence.of(EvidenceFormat.SGX_QUOTE_V3, TestData.bytes("dcap/sgx_quote")));
    ReferencePolicy strict = ReferencePolicyLoader.parse(
        "sgx: {mr_enclave: \"" + SET_A_MRENCLAVE + "\", isv_prod_id: 0}", "a.yaml");
    assertThatThrownBy(() -> new PolicyGate(strict).check(c))
        .isInstanceOfSatisfying(AttestationException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.TCB_STATUS_REJECTED);
          assertThat(e.getMessage()).contains("ConfigurationAndSWHardeningNeeded").contains("INTEL-SA-00615");
        });
    VerifiedClaims v = new PolicyGate(strict.withAcceptedTcbStatuses(
        Set.of(TcbStatus.UP_TO_DATE, TcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED))).check(c);
    assertThat(v.claims().measurement("mr_enclave")).hasValue(SET_A_MRENCLAVE);
  }
}
