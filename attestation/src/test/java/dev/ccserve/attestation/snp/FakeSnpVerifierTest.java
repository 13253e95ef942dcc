package dev.ccserve.attestation.snp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.EvidenceClaims;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Checks that need reports the real sample cannot provide, signed by a generated fake hierarchy. */
class FakeSnpVerifierTest {
  static FakeAmd amd;
  static SnpVerifier verifier;

  @BeforeAll
  static void setUp() {
    amd = FakeAmd.shared();
    verifier = SnpVerifier.builder()
        .trustAnchors(amd.anchors())
        .clock(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC))
        .build();
  }

  @Test
  void verify_fakeHierarchy_verifiesButMarkedSimulated() throws Exception {
    byte[] rd = new byte[64];
    rd[0] = 42;

    EvidenceClaims c = verifier.verify(amd.evidence(rd));

    assertThat(c.reportData()).isEqualTo(rd);
    assertThat(c.debug()).isFalse();
    assertThat(c.simulated()).as("unpinned chain must never look like real AMD").isTrue();
  }

  @Test
  void verify_reportedTcbDiffersFromVcek_collateralMismatch() {
    byte[] r = amd.template(new byte[64]);
    FakeAmd.putLe(r, 0x180, FakeAmd.TCB + 1, 8); // bootloader SPL 3 instead of 2

    AttestationException e = catchThrowableOfType(AttestationException.class,
        () -> verifier.verify(amd.withVcek(amd.sign(r))));

    assertThat(e.reason()).isEqualTo(Reason.COLLATERAL_MISMATCH);
    assertThat(e.step()).isEqualTo("reported_tcb");
  }

  @Test
  void verify_chipIdDiffersFromHwId_collateralMismatch() {
    byte[] r = amd.template(new byte[64]);
    r[0x1A0] ^= 1;

    AttestationException e = catchThrowableOfType(AttestationException.class,
        () -> verifier.verify(amd.withVcek(amd.sign(r))));

    assertThat(e.reason()).isEqualTo(Reason.COLLATERAL_MISMATCH);
    assertThat(e.step()).isEqualTo("chip_id");
  }

  @Test
  void verify_debugBitSet_reportedInClaims() throws Exception {
    byte[] r = amd.template(new byte[64]);
    FakeAmd.putLe(r, 0x008, 0x30000L | SnpReport.POLICY_DEBUG, 8);

    assertThat(verifier.verify(amd.withVcek(amd.sign(r))).debug()).isTrue();
  }

  @Test
  void verify_nonZeroReservedSignatureBytes_malformed() {
    byte[] r = amd.sign(amd.template(new byte[64]));
    r[SnpReport.SIZE - 1] = 1;

    AttestationException e = catchThrowableOfType(AttestationException.class,
        () -> verifier.verify(amd.withVcek(r)));

    assertThat(e.reason()).isEqualTo(Reason.MALFORMED);
  }

  @Test
  void verify_realAmdAnchors_rejectFakeHierarchy() {
    SnpVerifier real = SnpVerifier.builder()
        .clock(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC))
        .build();

    AttestationException e = catchThrowableOfType(AttestationException.class,
        () -> real.verify(amd.evidence(new byte[64])));

    assertThat(e.reason()).isEqualTo(Reason.CERT_CHAIN_INVALID);
    assertThat(Arrays.asList(Reason.CERT_CHAIN_INVALID, Reason.UNTRUSTED_ROOT)).contains(e.reason());
  }
}
