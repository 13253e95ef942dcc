package dev.ccserve.crypto.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v1CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

class TlsContextsTest {
  private static final Clock CLOCK = Clock.systemUTC();
  private static final CertificateAuthority CA =
      CertificateAuthority.create("test CA", KeyAlgorithm.EC_P256, Duration.ofDays(2), CLOCK);
  private static final CertificateAuthority OTHER_CA =
      CertificateAuthority.create("other CA", KeyAlgorithm.EC_P256, Duration.ofDays(2), CLOCK);
  private static final CertifiedKey SERVER =
      CA.issueServer("grpc.tf-serving.service.com", List.of("127.0.0.1"), KeyAlgorithm.EC_P256, Duration.ofDays(1));
  private static final CertifiedKey CLIENT =
      CA.issueClient("client.tf-serving.service.com", List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(1));

  private static ServerTls oneWayServer() {
    return TlsContexts.server(SERVER.privateKeyPem(), SERVER.chainPem(), null, ClientAuth.NONE, CLOCK);
  }

  private static ServerTls twoWayServer() {
    return TlsContexts.fromSslConfig(SERVER.privateKeyPem(), SERVER.chainPem(), CA.certificatePem(), true, CLOCK);
  }

  @Test
  void oneWay_caTrusted_handshakeSucceeds() throws Exception {
    ClientTls client = TlsContexts.client(CA.certificatePem(), null, null, null, CLOCK);
    assertThat(TlsHandshake.run(oneWayServer(), client, "grpc.tf-serving.service.com").clientSubject()).isNull();
  }

  @Test
  void oneWay_serverCertPinnedAsSeedCrt_handshakeSucceeds() throws Exception {
    ClientTls client = TlsContexts.client(SERVER.certificatePem(), null, null, null, CLOCK);
    TlsHandshake.run(oneWayServer(), client, "grpc.tf-serving.service.com");
  }

  @Test
  void oneWay_ipSan_handshakeSucceeds() throws Exception {
    ClientTls client = TlsContexts.client(CA.certificatePem(), null, null, null, CLOCK);
    TlsHandshake.run(oneWayServer(), client, "127.0.0.1");
  }

  @Test
  void oneWay_wrongCa_handshakeFails() {
    ClientTls client = TlsContexts.client(OTHER_CA.certificatePem(), null, null, null, CLOCK);
    assertThatThrownBy(() -> TlsHandshake.run(oneWayServer(), client, "grpc.tf-serving.service.com"))
        .hasStackTraceContaining("PKIX path");
  }

  @Test
  void oneWay_wrongName_handshakeFails() {
    ClientTls client = TlsContexts.client(CA.certificatePem(), null, null, null, CLOCK);
    assertThatThrownBy(() -> TlsHandshake.run(oneWayServer(), client, "evil.example"))
        .hasStackTraceContaining("No subject alternative DNS name matching evil.example");
  }

  @Test
  void oneWay_serverNameOverride_verifiesOverrideNotDialledHost() throws Exception {
    ClientTls good = TlsContexts.client(CA.certificatePem(), null, null, "grpc.tf-serving.service.com", CLOCK);
    TlsHandshake.run(oneWayServer(), good, "localhost");
    ClientTls bad = TlsContexts.client(CA.certificatePem(), null, null, "evil.example", CLOCK);
    assertThatThrownBy(() -> TlsHandshake.run(oneWayServer(), bad, "grpc.tf-serving.service.com"))
        .hasStackTraceContaining("No subject alternative DNS name matching evil.example");
  }

  @Test
  void seedV1CertWithoutSan_cnMatchesDialledHost_jdkFallsBackToCn() throws Exception {
    CertifiedKey v1 = seedStyleV1Leaf("grpc.tf-serving.service.com");
    ServerTls server = TlsContexts.server(v1.privateKeyPem(), v1.certificatePem(), null, ClientAuth.NONE, CLOCK);
    ClientTls client = TlsContexts.client(CA.certificatePem(), null, null, null, CLOCK);
    TlsHandshake.run(server, client, "grpc.tf-serving.service.com");
    assertThatThrownBy(() -> TlsHandshake.run(server, client, "other.tf-serving.service.com"))
        .hasStackTraceContaining("No name matching other.tf-serving.service.com");
  }

  @Test
  void seedV1CertWithoutSan_override_cnFallbackInOwnMatcher() throws Exception {
    CertifiedKey v1 = seedStyleV1Leaf("grpc.tf-serving.service.com");
    ServerTls server = TlsContexts.server(v1.privateKeyPem(), v1.certificatePem(), null, ClientAuth.NONE, CLOCK);
    ClientTls client = TlsContexts.client(CA.certificatePem(), null, null, "grpc.tf-serving.service.com", CLOCK);
    TlsHandshake.run(server, client, "127.0.0.1");
  }

  @Test
  void twoWay_clientCert_serverSeesClientSubject() throws Exception {
    ClientTls client = TlsContexts.client(CA.certificatePem(), CLIENT.privateKeyPem(), CLIENT.chainPem(), null, CLOCK);
    assertThat(TlsHandshake.run(twoWayServer(), client, "grpc.tf-serving.service.com").clientSubject())
        .isEqualTo("CN=client.tf-serving.service.com");
  }

  @Test
  void twoWay_missingClientCert_handshakeFails() {
    ClientTls client = TlsContexts.client(CA.certificatePem(), null, null, null, CLOCK);
    assertThatThrownBy(() -> TlsHandshake.run(twoWayServer(), client, "grpc.tf-serving.service.com"))
        .isInstanceOf(Exception.class);
  }

  @Test
  void twoWay_clientCertFromOtherCa_handshakeFails() {
    CertifiedKey stranger = OTHER_CA.issueClient("stranger", List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(1));
    ClientTls client = TlsContexts.client(CA.certificatePem(), stranger.privateKeyPem(), stranger.chainPem(), null, CLOCK);
    assertThatThrownBy(() -> TlsHandshake.run(twoWayServer(), client, "grpc.tf-serving.service.com"))
        .isInstanceOf(Exception.class);
  }

  @Test
  void server_keyOfOtherCertificate_throwsMismatch() {
    assertThatThrownBy(() -> TlsContexts.server(CLIENT.privateKeyPem(), SERVER.chainPem(), null, ClientAuth.NONE, CLOCK))
        .isInstanceOf(TlsMaterialException.class)
        .hasMessageContaining("server private key (EC) does not match the public key of its certificate 'CN=grpc.tf-serving.service.com'");
  }

  @Test
  void server_expiredCertificate_throws() {
    Clock later = Clock.offset(CLOCK, Duration.ofDays(3));
    assertThatThrownBy(() -> TlsContexts.server(SERVER.privateKeyPem(), SERVER.chainPem(), null, ClientAuth.NONE, later))
        .hasMessageContaining("server certificate 'CN=grpc.tf-serving.service.com'").hasMessageContaining("expired at");
  }

  @Test
  void server_notYetValidCertificate_throws() {
    Clock earlier = Clock.offset(CLOCK, Duration.ofDays(-1));
    assertThatThrownBy(() -> TlsContexts.server(SERVER.privateKeyPem(), SERVER.chainPem(), null, ClientAuth.NONE, earlier))
        .hasMessageContaining("is not valid before");
  }

  @Test
  void server_chainWithWrongIssuer_throws() {
    String chain = SERVER.certificatePem() + OTHER_CA.certificatePem();
    assertThatThrownBy(() -> TlsContexts.server(SERVER.privateKeyPem(), chain, null, ClientAuth.NONE, CLOCK))
        .hasMessageContaining("was not signed by the given CA 'CN=other CA'");
  }

  @Test
  void server_requireWithoutCa_throws() {
    assertThatThrownBy(() -> TlsContexts.fromSslConfig(SERVER.privateKeyPem(), SERVER.chainPem(), "", true, CLOCK))
        .hasMessageContaining("custom_ca");
  }

  @Test
  void server_parametersFollowClientAuth() {
    assertThat(twoWayServer().sslParameters().getNeedClientAuth()).isTrue();
    assertThat(oneWayServer().sslParameters().getNeedClientAuth()).isFalse();
    assertThat(oneWayServer().trustManager()).isEmpty();
    assertThat(twoWayServer().trustManager()).isPresent();
  }

  @Test
  void client_expiredTrustedCertificate_throws() {
    Clock later = Clock.offset(CLOCK, Duration.ofDays(3));
    assertThatThrownBy(() -> TlsContexts.client(SERVER.certificatePem(), null, null, null, later))
        .hasMessageContaining("trusted certificate").hasMessageContaining("expired at");
  }

  @Test
  void client_keyWithoutCertificate_throws() {
    assertThatThrownBy(() -> TlsContexts.client(CA.certificatePem(), CLIENT.privateKeyPem(), null, null, CLOCK))
        .hasMessageContaining("found only the key");
  }

  @Test
  void clientTrustManager_noHostKnown_failsClosed() {
    ClientTls client = TlsContexts.client(CA.certificatePem(), null, null, null, CLOCK);
    X509Certificate[] chain = SERVER.chain().toArray(new X509Certificate[0]);
    assertThatThrownBy(() -> client.trustManager().checkServerTrusted(chain, "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class).hasMessageContaining("no server name");
  }

  @Test
  void clientTrustManager_expiredAtInjectedClock_rejects() {
    ClientTls client = TlsContexts.client(CA.certificatePem(), null, null, "grpc.tf-serving.service.com",
        Clock.offset(CLOCK, Duration.ofHours(36)));
    X509Certificate[] chain = SERVER.chain().toArray(new X509Certificate[0]);
    assertThatThrownBy(() -> client.trustManager().checkServerTrusted(chain, "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class);
  }

  /** Like {@code openssl x509 -req} without extensions: X.509 v1, no SAN, CN only. */
  static CertifiedKey seedStyleV1Leaf(String cn) throws Exception {
    KeyPair kp = KeyAlgorithm.EC_P256.generate(new SecureRandom());
    Instant now = Instant.now();
    var b = new JcaX509v1CertificateBuilder(
        new X500Name(CA.certificate().getSubjectX500Principal().getName()), BigInteger.ONE,
        Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), new X500Name("CN=" + cn), kp.getPublic());
    X509Certificate c = new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(CA.certifiedKey().privateKey())));
    assertThat(c.getVersion()).isEqualTo(1);
    return new CertifiedKey(kp.getPrivate(), List.of(c));
  }
}
