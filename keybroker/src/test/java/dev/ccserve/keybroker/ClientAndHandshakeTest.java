package dev.ccserve.keybroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.api.keybroker.GetSecretsRequest;
import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceProvider;
import dev.ccserve.attestation.TeeType;
import dev.ccserve.attestation.ratls.RaTlsCertificates;
import dev.ccserve.attestation.ratls.RaTlsKeyManager;
import dev.ccserve.attestation.ratls.RaTlsOids;
import dev.ccserve.attestation.simulated.SimulatedEvidenceProvider;
import dev.ccserve.crypto.tls.CertifiedKey;
import dev.ccserve.crypto.tls.TlsContexts;
import dev.ccserve.keybroker.KeyBrokerException.Kind;
import dev.ccserve.keybroker.client.KeyBrokerClient;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/** Replayed RA-TLS certificates, client retries and the CA directory. */
class ClientAndHandshakeTest extends BrokerTestBase {
  @Test
  void handshake_replayedRaTlsCertWithAnotherKey_rejected() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false)).start(platform.verifier(CLOCK), CLOCK);
    X509Certificate genuine = RaTlsKeyManager.create(good, CLOCK, RawGrpc.nonce(tb)).certificate();
    KeyPair attacker = RaTlsCertificates.generateP384();
    X509Certificate replay = copyEvidence(genuine, attacker);

    try (RawGrpc g = new RawGrpc(tb, TlsContexts.keyManager(new CertifiedKey(attacker.getPrivate(), List.of(replay))))) {
      assertThatThrownBy(() -> g.stub.getSecrets(GetSecretsRequest.getDefaultInstance()))
          .isInstanceOf(io.grpc.StatusRuntimeException.class);
    }
    var last = tb.lastAudit();
    assertThat(last.get("method").asText()).isEqualTo("handshake");
    assertThat(last.get("decision").asText()).isEqualTo("denied");
    assertThat(last.get("reason").asText()).isEqualTo("KEY_BINDING_MISMATCH");
    assertThat(tb.audit()).noneMatch(n -> n.get("decision").asText().equals("released"));
  }

  @Test
  void client_evidenceNotBoundToKey_deniedAtHandshakeWithoutRetry() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false)).start(platform.verifier(CLOCK), CLOCK);
    EvidenceProvider unbound = new EvidenceProvider() {
      @Override
      public Evidence attest(byte[] reportData64) throws AttestationException {
        return good.attest(new byte[64]);
      }

      @Override
      public TeeType tee() {
        return TeeType.SGX;
      }

      @Override
      public String name() {
        return "unbound";
      }
    };
    KeyBrokerClient client = new KeyBrokerClient(unbound,
        KeyBrokerClient.Options.of("localhost", tb.broker.grpcPort(), tb.ca.caCertificatePem(), TestBroker.SERVICE,
            List.of()).withRetryBudget(Duration.ofSeconds(60)),
        CLOCK);
    Instant start = Instant.now();

    assertThatThrownBy(client::provision).isInstanceOfSatisfying(KeyBrokerException.class, e -> {
      assertThat(e.kind()).isEqualTo(Kind.DENIED);
      assertThat(e.reason()).isEqualTo("TLS_HANDSHAKE");
    });
    assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(30));
    assertThat(tb.lastAudit().get("reason").asText()).isEqualTo("KEY_BINDING_MISMATCH");
  }

  @Test
  void client_brokerUnreachable_unavailableAfterRetryBudget() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    KeyBrokerClient client = new KeyBrokerClient(good,
        KeyBrokerClient.Options.of("localhost", port, tb.ca.caCertificatePem(), TestBroker.SERVICE, List.of())
            .withRetryBudget(Duration.ofMillis(1500)).withBackoff(Duration.ofMillis(100), Duration.ofMillis(400)),
        CLOCK);
    Instant start = Instant.now();

    assertThatThrownBy(client::provision).isInstanceOfSatisfying(KeyBrokerException.class, e -> {
      assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
      assertThat(e.getMessage()).contains("unreachable after").contains("UNAVAILABLE");
    });
    assertThat(Duration.between(start, Instant.now())).isGreaterThanOrEqualTo(Duration.ofMillis(700));
  }

  @Test
  void client_brokerStartsLate_retriesAndSucceeds() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    tb.writePolicy(TestBroker.policy(goodMr, true, false));
    KeyBrokerClient client = new KeyBrokerClient(good,
        KeyBrokerClient.Options.of("127.0.0.1", port, tb.ca.caCertificatePem(), TestBroker.SERVICE,
                List.of(TestBroker.SECRET))
            .withRetryBudget(Duration.ofSeconds(40)).withBackoff(Duration.ofMillis(100), Duration.ofMillis(500)),
        CLOCK);
    CompletableFuture<Void> later = CompletableFuture.runAsync(() -> {
      try {
        Thread.sleep(1000);
        tb.startOn(platform.verifier(CLOCK), CLOCK, KeyBrokerOptions.defaults(), port);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });

    assertThat(client.provision().wrapKeys()).containsKey(TestBroker.SECRET);
    later.join();
  }

  @Test
  void client_brokerNotSignedByGivenCa_deniedNotRetried() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false)).start(platform.verifier(CLOCK), CLOCK);
    String otherCa = dev.ccserve.crypto.tls.CertificateAuthority.create("other CA",
        dev.ccserve.crypto.tls.KeyAlgorithm.EC_P256, Duration.ofDays(1), CLOCK).certificatePem();
    KeyBrokerClient client = new KeyBrokerClient(good,
        KeyBrokerClient.Options.of("localhost", tb.broker.grpcPort(), otherCa, TestBroker.SERVICE, List.of())
            .withRetryBudget(Duration.ofSeconds(60)),
        CLOCK);
    Instant start = Instant.now();

    assertThatThrownBy(client::provision).isInstanceOfSatisfying(KeyBrokerException.class, e -> {
      assertThat(e.kind()).isEqualTo(Kind.DENIED);
      assertThat(e.reason()).isEqualTo("TLS_HANDSHAKE");
    });
    assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void brokerCa_initThenLoad_roundTripsAndProtectsKeys() throws Exception {
    Path ca = dir.resolve("ca");
    BrokerCa created = BrokerCa.init(ca, List.of("attestation.service.com", "localhost", "127.0.0.1"), CLOCK);

    BrokerCa loaded = BrokerCa.load(ca, CLOCK);

    assertThat(loaded.caCertificatePem()).isEqualTo(created.caCertificatePem());
    assertThat(Files.getPosixFilePermissions(ca.resolve(BrokerCa.CA_KEY)))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.getPosixFilePermissions(ca.resolve(BrokerCa.SERVER_KEY)))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(loaded.serverKey().certificate().getSubjectAlternativeNames().stream()
        .map(l -> String.valueOf(l.get(1))).toList())
        .containsExactly("attestation.service.com", "localhost", "127.0.0.1");
    assertThatThrownBy(() -> BrokerCa.init(ca, List.of("x.example.com"), CLOCK))
        .hasMessageContaining("already exists");
    Files.setPosixFilePermissions(ca.resolve(BrokerCa.CA_KEY), PosixFilePermissions.fromString("rw-r-----"));
    assertThatThrownBy(() -> BrokerCa.load(ca, CLOCK)).hasMessageContaining("chmod 600");
  }

  /** A self-signed certificate for {@code key} carrying {@code genuine}'s RA-TLS extensions verbatim. */
  static X509Certificate copyEvidence(X509Certificate genuine, KeyPair key) throws Exception {
    X500Name name = new X500Name(RaTlsCertificates.SUBJECT);
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
        Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)), name, key.getPublic());
    for (String oid : List.of(RaTlsOids.TCG_DICE_TAGGED_EVIDENCE, RaTlsOids.LEGACY_GRAMINE_QUOTE)) {
      byte[] v = genuine.getExtensionValue(oid);
      if (v != null) {
        b.addExtension(new ASN1ObjectIdentifier(oid), false, ASN1OctetString.getInstance(v).getOctets());
      }
    }
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
  }
}
