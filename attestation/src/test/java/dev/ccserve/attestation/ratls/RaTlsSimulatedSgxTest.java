package dev.ccserve.attestation.ratls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.dcap.DcapQuoteVerifier;
import dev.ccserve.attestation.dcap.FileCollateralSource;
import dev.ccserve.attestation.policy.PolicyGate;
import dev.ccserve.attestation.policy.ReferencePolicy;
import dev.ccserve.attestation.policy.SgxReference;
import dev.ccserve.attestation.simulated.DistributionMeasurement;
import dev.ccserve.attestation.simulated.SimulatedEvidenceProvider;
import dev.ccserve.attestation.simulated.SimulatedTee;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RA-TLS with the project's simulated SGX TEE (real ECDSA quotes under a generated INSECURE root)
 * and the real DCAP verifier: both Gramine extension paths verify end to end.
 */
class RaTlsSimulatedSgxTest {
  static final Clock CLOCK = Clock.systemUTC();
  @TempDir static Path dir;
  static SimulatedTee tee;
  static DistributionMeasurement measurement;
  static SimulatedEvidenceProvider provider;

  @BeforeAll
  static void setUp() throws Exception {
    tee = SimulatedTee.openOrCreate(dir.resolve("sim"), CLOCK);
    Path jar = Files.write(dir.resolve("ccserve-test.jar"), new byte[] {4, 2});
    measurement = DistributionMeasurement.of(List.of(jar), Map.of("mode", "test"));
    provider = new SimulatedEvidenceProvider(tee, measurement, 1, 1);
  }

  static RaTlsTrustManager trustManager(boolean trustSimulated) throws Exception {
    ReferencePolicy policy = ReferencePolicy.sgxOnly("sim",
        new SgxReference(Set.of(measurement.hex()), Set.of(), 1, 1));
    return RaTlsTrustManager.builder()
        .verifier(DcapQuoteVerifier.trustingSimulatedRootInsecure(
            tee.rootPublicKey(), FileCollateralSource.of(provider.collateral()), CLOCK))
        .policyGate(new PolicyGate(policy.withTrustSimulatedInsecure(trustSimulated)))
        .clock(CLOCK)
        .build();
  }

  @Test
  void verify_tcgExtensionFromSimulatedSgx_accepted() throws Exception {
    X509Certificate cert = RaTlsCertificates.create(RaTlsCertificates.generateP384(), provider, new byte[] {5}, CLOCK);

    VerifiedPeer peer = trustManager(true).verify(cert);

    assertThat(peer.evidence().source()).isEqualTo(RaTlsEvidence.Source.TCG_DICE);
    assertThat(peer.claims().claims().measurement("mr_enclave")).contains(measurement.hex());
    assertThat(peer.claims().claims().simulated()).isTrue();
  }

  @Test
  void verify_legacyOnlyCertFromSimulatedSgx_acceptedViaFallback() throws Exception {
    KeyPair kp = RaTlsCertificates.generateP384();
    X509Certificate both = RaTlsCertificates.create(kp, provider, null, CLOCK);
    X509Certificate legacyOnly = TestPki.selfSigned(kp,
        Map.of(RaTlsOids.LEGACY_GRAMINE_QUOTE, RaTlsCertificatesTest.octets(both, RaTlsOids.LEGACY_GRAMINE_QUOTE)));

    VerifiedPeer peer = trustManager(true).verify(legacyOnly);

    assertThat(peer.evidence().source()).isEqualTo(RaTlsEvidence.Source.LEGACY_GRAMINE);
  }

  @Test
  void verify_simulatedWithoutExplicitTrust_rejected() throws Exception {
    X509Certificate cert = RaTlsCertificates.create(RaTlsCertificates.generateP384(), provider, null, CLOCK);

    AttestationException e = catchThrowableOfType(AttestationException.class, () -> trustManager(false).verify(cert));

    assertThat(e.reason()).isEqualTo(Reason.SIMULATED_NOT_TRUSTED);
  }
}
