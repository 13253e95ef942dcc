package dev.ccserve.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CoreTypesTest {
  @ParameterizedTest
  @EnumSource(TcbStatus.class)
  void tcbStatus_parse_intelSpellingAndConstantName(TcbStatus s) {
    assertThat(TcbStatus.parse(s.intelName())).hasValue(s);
    assertThat(TcbStatus.parse(s.name())).hasValue(s);
    assertThat(TcbStatus.parse(s.name().toLowerCase())).hasValue(s);
  }

  @Test
  void tcbStatus_parse_unknown_empty() {
    assertThat(TcbStatus.parse("TDRelaunchAdvised")).isEmpty();
    assertThat(TcbStatus.parse(null)).isEmpty();
    assertThat(TcbStatus.parse("ConfigurationAndSWHardeningNeeded"))
        .hasValue(TcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED);
  }

  @Test
  void evidence_copiesAndHidesBytes() {
    byte[] b = {1, 2, 3};
    Evidence e = Evidence.of(EvidenceFormat.SGX_QUOTE_V3, b);
    b[0] = 9;
    assertThat(e.bytes()).containsExactly(1, 2, 3);
    e.bytes()[1] = 9;
    assertThat(e.bytes()).containsExactly(1, 2, 3);
    assertThat(e.tee()).isEqualTo(TeeType.SGX);
    assertThat(e.digest()).isEqualTo("039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81");
    assertThat(e.toString()).contains(e.digest()).doesNotContain("[1, 2, 3]").contains("length=3");
    assertThat(e).isEqualTo(Evidence.of(EvidenceFormat.SGX_QUOTE_V3, new byte[] {1, 2, 3}))
        .isNotEqualTo(Evidence.of(EvidenceFormat.TDX_QUOTE_V4, new byte[] {1, 2, 3}));
  }

  @Test
  void attestationException_reasonStepAndTruncatedMessage() {
    AttestationException e = new AttestationException(AttestationException.Reason.MALFORMED,
        "parse.header", "x".repeat(5000));
    assertThat(e.reason()).isEqualTo(AttestationException.Reason.MALFORMED);
    assertThat(e.step()).isEqualTo("parse.header");
    assertThat(e.getMessage()).startsWith("[MALFORMED at parse.header] ").hasSizeLessThanOrEqualTo(1024);
    assertThat(new AttestationException(AttestationException.Reason.MALFORMED, "s", "detail text").detail())
        .isEqualTo("detail text");
  }

  @Test
  void evidenceClaims_immutableCopies() {
    byte[] rd = new byte[64];
    EvidenceClaims c = EvidenceClaims.builder(TeeType.TDX, EvidenceFormat.TDX_QUOTE_V5)
        .measurement("mr_td", "AB".repeat(48)).reportData(rd).advisoryIds(List.of("INTEL-SA-1"))
        .collateralExpiry(Instant.EPOCH).build();
    rd[0] = 1;
    assertThat(c.reportData()[0]).isZero();
    assertThat(c.measurement("mr_td")).hasValue("ab".repeat(48));
    assertThatThrownBy(() -> c.measurements().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> c.advisoryIds().add("x")).isInstanceOf(UnsupportedOperationException.class);
    assertThat(c.isvSvn()).isEmpty();
    assertThatThrownBy(() -> EvidenceClaims.builder(TeeType.SGX, EvidenceFormat.SNP_REPORT))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
