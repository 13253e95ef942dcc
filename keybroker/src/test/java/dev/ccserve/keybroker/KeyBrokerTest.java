package dev.ccserve.keybroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import dev.ccserve.api.keybroker.ChallengeResponse;
import dev.ccserve.api.keybroker.ChallengeRequest;
import dev.ccserve.api.keybroker.GetSecretsRequest;
import dev.ccserve.api.keybroker.SignServingCertificateRequest;
import dev.ccserve.attestation.dcap.DcapQuoteVerifier;
import dev.ccserve.attestation.ratls.RaTlsCertificates;
import dev.ccserve.attestation.ratls.RaTlsKeyManager;
import dev.ccserve.attestation.simulated.SimulatedEvidenceProvider;
import dev.ccserve.crypto.key.WrapKey;
import dev.ccserve.crypto.tls.Pkcs10;
import dev.ccserve.keybroker.KeyBrokerException.Kind;
import dev.ccserve.keybroker.client.Provisioning;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.security.KeyPair;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The broker over real loopback sockets with the simulated TEE, driven by the real client. */
class KeyBrokerTest extends BrokerTestBase {
  static SimulatedEvidenceProvider other;

  @BeforeAll
  static void more() throws Exception {
    other = platform.provider(shared, "other");
  }

  @Test
  void provision_rightMeasurement_releasesKeyAndCertifiesInTeeKey() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false)).start(platform.verifier(CLOCK), CLOCK);

    Provisioning p = tb.client(good).provision();

    assertThat(p.wrapKeys()).containsOnlyKeys(TestBroker.SECRET);
    assertThat(p.wrapKeys().get(TestBroker.SECRET)).isEqualTo(WrapKey.fromCleartextBytes(tb.secret));
    X509Certificate leaf = p.servingKey().certificate();
    assertThat(leaf.getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1))).toList())
        .containsExactly(TestBroker.SERVICE);
    // ccserve's client uses P-256 (Gramine-style clients in SecretProvisionTest use P-384)
    assertThat(((ECPublicKey) leaf.getPublicKey()).getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
    assertThat(signsFor(p.servingKey().privateKey(), leaf)).isTrue();
    leaf.verify(tb.ca.authority().certificate().getPublicKey());
    assertThat(Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()))
        .isLessThanOrEqualTo(Duration.ofHours(24).plusMinutes(1));
    List<JsonNode> audit = tb.audit();
    assertThat(audit).extracting(n -> n.get("decision").asText()).containsExactly("released", "issued");
    assertThat(audit.get(0).get("secrets").get(0).asText()).isEqualTo(TestBroker.SECRET);
    assertThat(audit.get(0).get("simulated").asBoolean()).isTrue();
    assertThat(audit.get(0).get("measurements").get("mr_enclave").asText()).isEqualTo(goodMr);
    assertThat(audit.get(0).get("nonce").asText()).isEqualTo("fresh");
    assertThat(audit.get(1).get("cert_serial").asText()).isEqualTo(leaf.getSerialNumber().toString(16));
    assertThat(java.nio.file.Files.readString(tb.auditLog))
        .doesNotContain(HexFormat.of().formatHex(tb.secret))
        .doesNotContain(java.util.Base64.getEncoder().encodeToString(tb.secret));
  }

  @Test
  void provision_measurementNotInPolicy_deniedWithReasonInAudit() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false)).start(platform.verifier(CLOCK), CLOCK);

    assertThatThrownBy(() -> tb.client(other).provision())
        .isInstanceOfSatisfying(KeyBrokerException.class, e -> {
          assertThat(e.kind()).isEqualTo(Kind.DENIED);
          assertThat(e.reason()).isEqualTo("MEASUREMENT_MISMATCH at policy.mr_enclave");
        });
    JsonNode last = tb.lastAudit();
    assertThat(last.get("decision").asText()).isEqualTo("denied");
    assertThat(last.get("reason").asText()).isEqualTo("MEASUREMENT_MISMATCH");
    assertThat(last.get("step").asText()).isEqualTo("policy.mr_enclave");
    assertThat(last.get("detail").asText()).contains(goodMr);
    assertThat(last.get("protocol").asText()).isEqualTo("grpc");
  }

  @Test
  void provision_simulatedRootNotTrustedByPolicy_denied() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, false, false)).start(platform.verifier(CLOCK), CLOCK);

    assertThatThrownBy(() -> tb.client(good).provision())
        .isInstanceOfSatisfying(KeyBrokerException.class,
            e -> assertThat(e.reason()).isEqualTo("SIMULATED_NOT_TRUSTED at policy.simulated"));
    assertThat(tb.lastAudit().get("simulated").asBoolean()).isTrue();
  }

  @Test
  void provision_verifierDoesNotTrustSimulatedRoot_denied() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false))
        .start(DcapQuoteVerifier.intelPinned(platform.collateral(), CLOCK), CLOCK);

    assertThatThrownBy(() -> tb.client(good).provision())
        .isInstanceOfSatisfying(KeyBrokerException.class,
            e -> assertThat(e.reason()).startsWith("UNTRUSTED_ROOT"));
  }

  @Test
  void provision_debugEnclave_denied() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false)).start(platform.verifier(CLOCK), CLOCK);

    assertThatThrownBy(() -> tb.client(platform.debugProvider(good)).provision())
        .isInstanceOfSatisfying(KeyBrokerException.class,
            e -> assertThat(e.reason()).isEqualTo("DEBUG_NOT_ALLOWED at policy.debug"));
    assertThat(tb.lastAudit().get("debug").asBoolean()).isTrue();
  }

  @Test
  void provision_tcbOutOfDate_denied() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false)).start(platform.outOfDateVerifier(CLOCK), CLOCK);

    assertThatThrownBy(() -> tb.client(good).provision())
        .isInstanceOfSatisfying(KeyBrokerException.class,
            e -> assertThat(e.reason()).isEqualTo("TCB_STATUS_REJECTED at policy.tcb_status"));
    assertThat(tb.lastAudit().get("tcb_status").asText()).isEqualTo("OutOfDate");
  }

  @Test
  void getSecrets_reusedNonceOnNewConnection_denied() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false)).start(platform.verifier(CLOCK), CLOCK);
    RaTlsKeyManager km = RaTlsKeyManager.create(good, CLOCK, RawGrpc.nonce(tb));
    try (RawGrpc first = new RawGrpc(tb, km)) {
      assertThat(first.stub.getSecrets(GetSecretsRequest.getDefaultInstance()).getSecretsMap())
          .containsKey(TestBroker.SECRET);
      // a second call on the same connection reuses the admission
      assertThat(first.stub.getSecrets(GetSecretsRequest.getDefaultInstance()).getSecretsMap())
          .containsKey(TestBroker.SECRET);
    }

    try (RawGrpc replay = new RawGrpc(tb, km)) {
      assertThatThrownBy(() -> replay.stub.getSecrets(GetSecretsRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(e.getStatus().getDescription()).contains("NONCE_STALE");
          });
    }
    assertThat(tb.lastAudit().get("reason").asText()).isEqualTo("NONCE_STALE");
  }

  @Test
  void getSecrets_nonceNotIssuedHere_denied() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false)).start(platform.verifier(CLOCK), CLOCK);
    RaTlsKeyManager km = RaTlsKeyManager.create(good, CLOCK, new byte[32]);

    try (RawGrpc g = new RawGrpc(tb, km)) {
      assertThatThrownBy(() -> g.stub.getSecrets(GetSecretsRequest.getDefaultInstance()))
          .hasMessageContaining("NONCE_STALE at nonce");
    }
  }

  @Test
  void getSecrets_expiredNonce_denied() throws Exception {
    MutableClock clock = new MutableClock();
    tb.writePolicy(TestBroker.policy(goodMr, true, false))
        .start(platform.verifier(CLOCK), clock, KeyBrokerOptions.defaults().withNonceLifetime(Duration.ofSeconds(30)));
    ChallengeResponse c;
    try (RawGrpc g = new RawGrpc(tb, null)) {
      c = g.stub.challenge(ChallengeRequest.getDefaultInstance());
    }
    assertThat(c.getNonce().size()).isEqualTo(32);
    assertThat(c.getExpiresAt().getSeconds()).isEqualTo(clock.instant().plusSeconds(30).getEpochSecond());
    RaTlsKeyManager km = RaTlsKeyManager.create(good, CLOCK, c.getNonce().toByteArray());
    clock.advance(Duration.ofSeconds(31));

    try (RawGrpc g = new RawGrpc(tb, km)) {
      assertThatThrownBy(() -> g.stub.getSecrets(GetSecretsRequest.getDefaultInstance()))
          .hasMessageContaining("NONCE_STALE at nonce");
    }
    assertThat(tb.lastAudit().get("detail").asText()).contains("expired");
  }

  @Test
  void getSecrets_noClientCertificate_unauthenticated() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false)).start(platform.verifier(CLOCK), CLOCK);

    try (RawGrpc g = new RawGrpc(tb, null)) {
      assertThatThrownBy(() -> g.stub.getSecrets(GetSecretsRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }
    assertThat(tb.lastAudit().get("reason").asText()).isEqualTo("NO_CLIENT_CERTIFICATE");
  }

  @Test
  void getSecrets_secretNotAllowedForEntry_denied() throws Exception {
    tb.writeSecret("other_key", new byte[16]);
    tb.writePolicy(TestBroker.policy(goodMr, true, false)).start(platform.verifier(CLOCK), CLOCK);
    RaTlsKeyManager km = RaTlsKeyManager.create(good, CLOCK, RawGrpc.nonce(tb));

    try (RawGrpc g = new RawGrpc(tb, km)) {
      assertThatThrownBy(() -> g.stub.getSecrets(GetSecretsRequest.newBuilder().addNames("other_key").build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
    }
    assertThat(tb.lastAudit().get("reason").asText()).isEqualTo("SECRET_NOT_ALLOWED");
  }

  @Test
  void signServingCertificate_csrForAnotherKey_refused() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false)).start(platform.verifier(CLOCK), CLOCK);
    RaTlsKeyManager km = RaTlsKeyManager.create(good, CLOCK, RawGrpc.nonce(tb));
    KeyPair stranger = RaTlsCertificates.generateP384();
    byte[] csr = Pkcs10.create(stranger, TestBroker.SERVICE, List.of(TestBroker.SERVICE));

    try (RawGrpc g = new RawGrpc(tb, km)) {
      assertThatThrownBy(() -> g.stub.signServingCertificate(SignServingCertificateRequest.newBuilder()
              .setCsrDer(ByteString.copyFrom(csr)).setServiceName(TestBroker.SERVICE).build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(e.getStatus().getDescription()).contains("CSR_KEY_MISMATCH");
          });
    }
    assertThat(tb.lastAudit().get("reason").asText()).isEqualTo("CSR_KEY_MISMATCH");
  }

  @Test
  void provision_serviceNameNotAllowed_denied() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false)).start(platform.verifier(CLOCK), CLOCK);

    assertThatThrownBy(() -> tb.client(good, "evil.example.com").provision())
        .isInstanceOfSatisfying(KeyBrokerException.class, e -> {
          assertThat(e.kind()).isEqualTo(Kind.DENIED);
          assertThat(e.reason()).startsWith("SERVICE_NAME_NOT_ALLOWED");
        });
  }

  static boolean signsFor(java.security.PrivateKey key, X509Certificate cert) throws Exception {
    byte[] data = "proof".getBytes();
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(key);
    s.update(data);
    byte[] sig = s.sign();
    Signature v = Signature.getInstance("SHA256withECDSA");
    v.initVerify(cert.getPublicKey());
    v.update(data);
    return v.verify(sig);
  }
}
