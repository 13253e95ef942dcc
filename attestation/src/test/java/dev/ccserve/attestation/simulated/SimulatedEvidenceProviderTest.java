package dev.ccserve.attestation.simulated;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceClaims;
import dev.ccserve.attestation.TcbStatus;
import dev.ccserve.attestation.dcap.DcapCollateral;
import dev.ccserve.attestation.dcap.DcapQuote;
import dev.ccserve.attestation.dcap.DcapQuoteVerifier;
import dev.ccserve.attestation.dcap.FileCollateralSource;
import dev.ccserve.attestation.policy.PolicyGate;
import dev.ccserve.attestation.policy.ReferencePolicy;
import dev.ccserve.attestation.policy.SgxReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulatedEvidenceProviderTest {
  static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  @TempDir static Path dir;
  static SimulatedTee tee;
  static DistributionMeasurement measurement;

  @BeforeAll
  static void setUp() throws Exception {
    tee = SimulatedTee.openOrCreate(dir.resolve("sim"), CLOCK);
    Path jar = Files.write(dir.resolve("ccserve-x.jar"), new byte[] {1, 2, 3});
    measurement = DistributionMeasurement.of(List.of(jar), Map.of("mode", "confidential"));
  }

  private static byte[] reportData() {
    byte[] rd = new byte[64];
    for (int i = 0; i < 64; i++) {
      rd[i] = (byte) (i * 7);
    }
    return rd;
  }

  private static SimulatedEvidenceProvider provider() {
    return new SimulatedEvidenceProvider(tee, measurement, 3, 2);
  }

  @Test
  void verify_simulatedRootTrusted_acceptedAndMarkedSimulated() throws Exception {
    SimulatedEvidenceProvider p = provider();
    Evidence e = p.attest(reportData());
    DcapQuoteVerifier v = DcapQuoteVerifier.trustingSimulatedRootInsecure(tee.rootPublicKey(),
        FileCollateralSource.of(p.collateral()), CLOCK);
    EvidenceClaims c = v.verify(e);
    assertThat(c.simulated()).isTrue();
    assertThat(c.tcbStatus()).isEqualTo(TcbStatus.UP_TO_DATE);
    assertThat(c.measurements()).containsEntry("mr_enclave", measurement.hex());
    assertThat(c.reportData()).isEqualTo(reportData());
    assertThat(c.isvProdId()).hasValue(3);
    assertThat(c.isvSvn()).hasValue(2);
    assertThat(c.debug()).isFalse();
    assertThat(c.attributes().get("trusted_root")).contains("SIMULATED");
  }

  @Test
  void verify_viaCollateralSource_accepted() throws Exception {
    DcapQuoteVerifier v = DcapQuoteVerifier.trustingSimulatedRootInsecure(
        SimulatedTee.readRootPublicKey(dir.resolve("sim")), tee.collateralSource(), CLOCK);
    assertThat(v.verify(provider().attest(reportData())).simulated()).isTrue();
  }

  @Test
  void verify_intelPinnedVerifier_untrustedRoot() throws Exception {
    SimulatedEvidenceProvider p = provider();
    DcapQuoteVerifier v = DcapQuoteVerifier.intelPinned(FileCollateralSource.of(p.collateral()), CLOCK);
    assertThatThrownBy(() -> v.verify(p.attest(reportData())))
        .isInstanceOfSatisfying(AttestationException.class, ex -> {
          assertThat(ex.reason()).isEqualTo(Reason.UNTRUSTED_ROOT);
          assertThat(ex.step()).isEqualTo("pck_chain");
        });
  }

  @Test
  void verify_otherSimulatedRootTrusted_untrustedRoot() throws Exception {
    SimulatedTee other = SimulatedTee.openOrCreate(dir.resolve("other"), CLOCK);
    SimulatedEvidenceProvider p = provider();
    DcapQuoteVerifier v = DcapQuoteVerifier.trustingSimulatedRootInsecure(other.rootPublicKey(),
        FileCollateralSource.of(p.collateral()), CLOCK);
    assertThatThrownBy(() -> v.verify(p.attest(reportData())))
        .isInstanceOfSatisfying(AttestationException.class,
            ex -> assertThat(ex.reason()).isEqualTo(Reason.UNTRUSTED_ROOT));
  }

  @Test
  void policy_defaultRejectsSimulated_trustSimulatedAccepts() throws Exception {
    SimulatedEvidenceProvider p = provider();
    EvidenceClaims c = DcapQuoteVerifier.trustingSimulatedRootInsecure(tee.rootPublicKey(),
        FileCollateralSource.of(p.collateral()), CLOCK).verify(p.attest(reportData()));
    ReferencePolicy strict = ReferencePolicy.sgxOnly("t",
        new SgxReference(Set.of(measurement.hex()), Set.of(), 3, 2));
    assertThatThrownBy(() -> new PolicyGate(strict).check(c))
        .isInstanceOfSatisfying(AttestationException.class,
            ex -> assertThat(ex.reason()).isEqualTo(Reason.SIMULATED_NOT_TRUSTED));
    assertThat(new PolicyGate(strict.withTrustSimulatedInsecure(true)).check(c).claims())
        .isSameAs(c);
  }

  @Test
  void verify_collateralPastLifetime_expired() throws Exception {
    SimulatedEvidenceProvider p = provider();
    DcapCollateral col = p.collateral();
    Clock later = Clock.fixed(NOW.plus(Duration.ofDays(31)), ZoneOffset.UTC);
    DcapQuoteVerifier v = DcapQuoteVerifier.trustingSimulatedRootInsecure(tee.rootPublicKey(),
        FileCollateralSource.of(col), later);
    assertThatThrownBy(() -> v.verify(p.attest(reportData())))
        .isInstanceOfSatisfying(AttestationException.class,
            ex -> assertThat(ex.reason()).isEqualTo(Reason.COLLATERAL_EXPIRED));
  }

  @Test
  void attest_wrongReportDataLength_rejected() {
    assertThatThrownBy(() -> provider().attest(new byte[32]))
        .isInstanceOf(AttestationException.class);
  }

  @Test
  void openOrCreate_secondOpen_reusesKeysWithMode0600() throws Exception {
    SimulatedTee again = SimulatedTee.openOrCreate(dir.resolve("sim"), CLOCK);
    assertThat(again.rootPublicKey().getEncoded()).isEqualTo(tee.rootPublicKey().getEncoded());
    assertThat(SimulatedTee.readRootPublicKey(dir.resolve("sim")).getEncoded())
        .isEqualTo(tee.rootPublicKey().getEncoded());
    for (String key : List.of("root.key", "pck-ca.key", "pck.key", "tcb-signing.key", "attestation.key")) {
      Path f = dir.resolve("sim").resolve(key);
      if (Files.getFileStore(f).supportsFileAttributeView("posix")) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
            .as(key).isEqualTo("rw-------");
      }
    }
    assertThat(tee.rootCertificate().getSubjectX500Principal().getName()).contains("SIMULATED - NOT INTEL");
  }

  @Test
  void quote_isStructurallyRealSgxV3() throws Exception {
    DcapQuote q = DcapQuote.parse(provider().attest(reportData()).bytes());
    assertThat(q.version()).isEqualTo(3);
    assertThat(q.certificationDataType()).isEqualTo(5);
    assertThat(q.qeAuthData()).hasSize(32);
    assertThat(q.sgxBody().mrEnclave()).isEqualTo(measurement.bytes());
  }
}
