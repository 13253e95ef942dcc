package dev.ccserve.attestation.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccserve.attestation.EvidenceVerifier;
import dev.ccserve.attestation.TeeType;
import dev.ccserve.attestation.dcap.DcapCollateral;
import dev.ccserve.attestation.dcap.DcapQuoteDecoder;
import dev.ccserve.attestation.dcap.DcapQuoteVerifier;
import dev.ccserve.attestation.dcap.FileCollateralSource;
import dev.ccserve.attestation.testing.TestData;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvidenceDiagnosticsTest {
  static final Clock AT = Clock.fixed(Instant.parse("2025-06-20T00:00:00Z"), ZoneOffset.UTC);

  private static EvidenceDiagnostics diagnostics(String collateral) throws Exception {
    DcapCollateral c = DcapCollateral.fromJson(TestData.text("dcap/" + collateral));
    EvidenceVerifier v = DcapQuoteVerifier.intelPinned(FileCollateralSource.of(c), AT);
    return new EvidenceDiagnostics(EvidenceDiagnostics.installedDecoders(),
        Map.of(TeeType.SGX, v, TeeType.TDX, v), null, false);
  }

  @Test
  void installedDecoders_includeDcap() {
    assertThat(EvidenceDiagnostics.installedDecoders())
        .anyMatch(d -> d instanceof DcapQuoteDecoder);
  }

  @Test
  void diagnose_setB_acceptedWithPaddingNote() throws Exception {
    Verdict v = diagnostics("tdx_quote_collateral.json").diagnose(TestData.bytes("dcap/tdx_quote"));
    assertThat(v.accepted()).as(v.toJson()).isTrue();
    assertThat(v.tee()).isEqualTo("TDX");
    assertThat(v.format()).isEqualTo("TDX_QUOTE_V4");
    assertThat(v.tcbStatus()).isEqualTo("UpToDate");
    assertThat(v.reason()).isNull();
    assertThat(v.notes()).containsEntry("trailing_bytes_ignored", "70");
  }

  @Test
  void diagnose_setA_rejectedByBaselineWithStatusAndAdvisories() throws Exception {
    Verdict v = diagnostics("sgx_quote_collateral.json").diagnose(TestData.bytes("dcap/sgx_quote"));
    assertThat(v.accepted()).isFalse();
    assertThat(v.reason()).isEqualTo("TCB_STATUS_REJECTED");
    assertThat(v.step()).isEqualTo("policy.tcb_status");
    assertThat(v.tcbStatus()).isEqualTo("ConfigurationAndSWHardeningNeeded");
    assertThat(v.advisoryIds()).containsExactly("INTEL-SA-00289", "INTEL-SA-00615");
    assertThat(v.measurements()).containsKey("mr_enclave");
    JsonNode j = new ObjectMapper().readTree(v.toJson());
    assertThat(j.get("accepted").asBoolean()).isFalse();
    assertThat(j.get("tcb_status").asText()).isEqualTo("ConfigurationAndSWHardeningNeeded");
    assertThat(j.get("advisory_ids")).hasSize(2);
    assertThat(j.get("collateral_expiry").asText()).isEqualTo("2025-07-19T10:01:18Z");
    assertThat(j.has("simulated")).isTrue();
  }

  @Test
  void diagnose_hexText_unwrapped() throws Exception {
    byte[] hex = HexFormat.of().formatHex(TestData.bytes("dcap/tdx_quote")).getBytes(StandardCharsets.US_ASCII);
    assertThat(diagnostics("tdx_quote_collateral.json").diagnose(hex).accepted()).isTrue();
  }

  @Test
  void diagnose_garbage_unsupportedFormatAtDetect() throws Exception {
    Verdict v = diagnostics("tdx_quote_collateral.json").diagnose("hello world".getBytes(StandardCharsets.US_ASCII));
    assertThat(v.accepted()).isFalse();
    assertThat(v.reason()).isEqualTo("UNSUPPORTED_FORMAT");
    assertThat(v.step()).isEqualTo("detect");
  }

  @Test
  void diagnose_truncatedQuote_malformed() throws Exception {
    byte[] q = java.util.Arrays.copyOf(TestData.bytes("dcap/sgx_quote"), 1000);
    Verdict v = diagnostics("sgx_quote_collateral.json").diagnose(q);
    assertThat(v.reason()).isEqualTo("MALFORMED");
    assertThat(v.step()).startsWith("parse");
  }

  @Test
  void diagnose_noVerifierForTee_unsupported() throws Exception {
    EvidenceDiagnostics d = new EvidenceDiagnostics(List.of(new DcapQuoteDecoder()), Map.of(), null, false);
    Verdict v = d.diagnose(TestData.bytes("dcap/sgx_quote"));
    assertThat(v.reason()).isEqualTo("UNSUPPORTED_FORMAT");
    assertThat(v.tee()).isEqualTo("SGX");
  }
}
