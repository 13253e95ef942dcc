package dev.ccserve.attestation.ratls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.policy.PolicyGate;
import dev.ccserve.attestation.policy.ReferencePolicy;
import dev.ccserve.attestation.policy.SnpReference;
import dev.ccserve.attestation.snp.FakeAmd;
import dev.ccserve.attestation.snp.SnpVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.security.KeyPair;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * RA-TLS over real JDK TLS sockets on loopback. The attesting side uses evidence signed by a
 * generated fake AMD hierarchy (real ECDSA/RSA-PSS signatures, verified by the real SnpVerifier
 * with that hierarchy as an explicitly unpinned anchor, hence "simulated" claims that the policy
 * must explicitly trust).
 */
class RaTlsHandshakeTest {
  static FakeAmd amd;
  static TestPki pki;
  static Clock clock = Clock.systemUTC();

  @BeforeAll
  static void setUp() throws Exception {
    amd = FakeAmd.shared();
    pki = new TestPki();
  }

  static PolicyGate gate() {
    return new PolicyGate(ReferencePolicy.snpOnly("test",
            new SnpReference(Set.of(HexFormat.of().formatHex(FakeAmd.MEASUREMENT)), Map.of(), 0, 0, 0))
        .withTrustSimulatedInsecure(true));
  }

  static RaTlsTrustManager.Builder trust() {
    return RaTlsTrustManager.builder()
        .verifier(SnpVerifier.builder().trustAnchors(amd.anchors()).clock(clock).build())
        .policyGate(gate())
        .clock(clock);
  }

  /** Broker-like server: ordinary cert for "localhost", requires RA-TLS client certs. */
  static final class Server implements AutoCloseable {
    final SSLServerSocket socket;
    final CompletableFuture<Optional<VerifiedPeer>> peer = new CompletableFuture<>();

    Server(KeyManager[] km, TrustManager tm) throws Exception {
      SSLContext ctx = SSLContext.getInstance("TLSv1.3");
      ctx.init(km, new TrustManager[] {tm}, null);
      socket = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 5, InetAddress.getLoopbackAddress());
      socket.setNeedClientAuth(true);
      Thread t = new Thread(this::serveOne, "test-tls-server");
      t.setDaemon(true);
      t.start();
    }

    void serveOne() {
      try (SSLSocket s = (SSLSocket) socket.accept()) {
        s.setSoTimeout(10_000);
        s.startHandshake();
        peer.complete(RaTlsTrustManager.verifiedPeer(s.getSession()));
        s.getOutputStream().write('K');
        s.getOutputStream().flush();
        s.getInputStream().read();
      } catch (Exception e) {
        peer.completeExceptionally(e);
      }
    }

    int port() {
      return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  static int connect(int port, KeyManager km, TrustManager tm, String host, boolean checkHostname) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLSv1.3");
    ctx.init(km == null ? null : new KeyManager[] {km}, new TrustManager[] {tm}, null);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(host, port)) {
      s.setSoTimeout(10_000);
      if (checkHostname) {
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
      }
      s.startHandshake();
      InputStream in = s.getInputStream();
      int b = in.read();
      s.getOutputStream().write('x');
      return b;
    }
  }

  static Throwable rootAttestationCause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof AttestationException) {
        return c;
      }
    }
    return t;
  }

  @Test
  void handshake_freshRaTlsClientCert_acceptedWithClaims() throws Exception {
    ExpiringNonceStore nonces = new ExpiringNonceStore(clock, Duration.ofMinutes(5), 100);
    RaTlsTrustManager tm = trust().nonceValidator(nonces).build();
    RaTlsKeyManager client = RaTlsKeyManager.create(amd.provider(), clock, nonces.issue());
    try (Server server = new Server(pki.keyManagers("localhost").getKeyManagers(), tm)) {

      int reply = connect(server.port(), client, pki.pkixTrust(), "localhost", true);

      VerifiedPeer peer = server.peer.get(10, TimeUnit.SECONDS).orElseThrow();
      assertThat(reply).isEqualTo('K');
      assertThat(peer.claims().claims().measurement("measurement"))
          .contains(HexFormat.of().formatHex(FakeAmd.MEASUREMENT));
      assertThat(peer.evidence().nonce()).isPresent();
      assertThat(tm.verifiedPeer(client.certificate())).contains(peer);
      assertThat(nonces.outstanding()).isZero();
    }
  }

  @Test
  void handshake_unknownNonce_rejectedAsStale() throws Exception {
    ExpiringNonceStore nonces = new ExpiringNonceStore(clock, Duration.ofMinutes(5), 100);
    RaTlsKeyManager client = RaTlsKeyManager.create(amd.provider(), clock, new byte[32]);
    try (Server server = new Server(pki.keyManagers("localhost").getKeyManagers(), trust().nonceValidator(nonces).build())) {

      assertThatThrownBy(() -> connect(server.port(), client, pki.pkixTrust(), "localhost", true))
          .isInstanceOf(IOException.class);

      Throwable cause = rootAttestationCause(catchServerFailure(server));
      assertThat(cause).isInstanceOfSatisfying(AttestationException.class,
          e -> assertThat(e.reason()).isEqualTo(Reason.NONCE_STALE));
    }
  }

  @Test
  void handshake_reusedNonce_rejectedAsStale() throws Exception {
    ExpiringNonceStore nonces = new ExpiringNonceStore(clock, Duration.ofMinutes(5), 100);
    RaTlsKeyManager client = RaTlsKeyManager.create(amd.provider(), clock, nonces.issue());
    RaTlsTrustManager tm = trust().nonceValidator(nonces).build();
    try (Server first = new Server(pki.keyManagers("localhost").getKeyManagers(), tm)) {
      connect(first.port(), client, pki.pkixTrust(), "localhost", true);
      assertThat(first.peer.get(10, TimeUnit.SECONDS)).isPresent();
    }
    try (Server second = new Server(pki.keyManagers("localhost").getKeyManagers(), tm)) {

      assertThatThrownBy(() -> connect(second.port(), client, pki.pkixTrust(), "localhost", true))
          .isInstanceOf(IOException.class);

      assertThat(rootAttestationCause(catchServerFailure(second)))
          .isInstanceOfSatisfying(AttestationException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NONCE_STALE));
    }
  }

  @Test
  void handshake_replayedCertWithDifferentKey_rejectedKeyBinding() throws Exception {
    RaTlsKeyManager genuine = RaTlsKeyManager.create(amd.provider(), clock, null);
    KeyPair attacker = RaTlsCertificates.generateP384();
    Map<String, byte[]> stolen = new LinkedHashMap<>();
    stolen.put(RaTlsOids.TCG_DICE_TAGGED_EVIDENCE,
        RaTlsCertificatesTest.octets(genuine.certificate(), RaTlsOids.TCG_DICE_TAGGED_EVIDENCE));
    X509Certificate replay = TestPki.selfSigned(attacker, stolen);
    try (Server server = new Server(pki.keyManagers("localhost").getKeyManagers(), trust().build())) {

      assertThatThrownBy(() -> connect(server.port(), fixed(attacker.getPrivate(), replay), pki.pkixTrust(), "localhost", true))
          .isInstanceOf(IOException.class);

      assertThat(rootAttestationCause(catchServerFailure(server))).isInstanceOfSatisfying(AttestationException.class,
          e -> assertThat(e.reason()).isEqualTo(Reason.KEY_BINDING_MISMATCH));
    }
  }

  @Test
  void handshake_evidenceBoundToOtherClaims_rejectedKeyBinding() throws Exception {
    // a genuinely signed report whose report_data binds some other key, inside a cert for this key
    KeyPair kp = RaTlsCertificates.generateP384();
    byte[] claims = RaTlsClaims.encode(kp.getPublic().getEncoded(), null);
    byte[] otherRd = new byte[64];
    otherRd[0] = 1;
    byte[] tcg = new Cbor.Writer().tag(60000).array(2).bytes(amd.evidence(otherRd).bytes()).bytes(claims).toByteArray();
    X509Certificate cert = TestPki.selfSigned(kp, Map.of(RaTlsOids.TCG_DICE_TAGGED_EVIDENCE, tcg));
    try (Server server = new Server(pki.keyManagers("localhost").getKeyManagers(), trust().build())) {

      assertThatThrownBy(() -> connect(server.port(), fixed(kp.getPrivate(), cert), pki.pkixTrust(), "localhost", true))
          .isInstanceOf(IOException.class);

      assertThat(rootAttestationCause(catchServerFailure(server))).isInstanceOfSatisfying(AttestationException.class,
          e -> assertThat(e.reason()).isEqualTo(Reason.KEY_BINDING_MISMATCH));
    }
  }

  @Test
  void handshake_ordinaryClientCertWithoutFallback_rejected() throws Exception {
    try (Server server = new Server(pki.keyManagers("localhost").getKeyManagers(), trust().build())) {
      X509ExtendedKeyManager plainClient = (X509ExtendedKeyManager) pki.keyManagers("client").getKeyManagers()[0];

      assertThatThrownBy(() -> connect(server.port(), plainClient, pki.pkixTrust(), "localhost", true))
          .isInstanceOf(IOException.class);
      assertThat(catchServerFailure(server)).hasMessageContaining("no RA-TLS evidence");
    }
  }

  @Test
  void clientSide_raTlsServer_verifiedWithoutHostname() throws Exception {
    RaTlsKeyManager serverKm = RaTlsKeyManager.create(amd.provider(), clock, null);
    try (Server server = new Server(new KeyManager[] {serverKm}, pki.pkixTrust())) {
      X509ExtendedKeyManager plainClient = (X509ExtendedKeyManager) pki.keyManagers("client").getKeyManagers()[0];
      RaTlsTrustManager clientTm = trust().pkixFallback(pki.pkixTrust()).build();

      int reply = connect(server.port(), plainClient, clientTm, "localhost", true);

      assertThat(reply).isEqualTo('K');
      assertThat(clientTm.verifiedPeer(serverKm.certificate())).isPresent();
    }
  }

  @Test
  void clientSide_ordinaryServerCertWrongHostname_rejectedByPkixDelegate() throws Exception {
    try (Server server = new Server(pki.keyManagers("other.example").getKeyManagers(), pki.pkixTrust())) {
      X509ExtendedKeyManager plainClient = (X509ExtendedKeyManager) pki.keyManagers("client").getKeyManagers()[0];
      RaTlsTrustManager clientTm = trust().pkixFallback(pki.pkixTrust()).build();

      assertThatThrownBy(() -> connect(server.port(), plainClient, clientTm, "localhost", true))
          .isInstanceOf(IOException.class)
          .hasStackTraceContaining("No subject alternative DNS name matching localhost");
    }
  }

  @Test
  void clientSide_ordinaryServerCertRightHostname_acceptedByPkixDelegate() throws Exception {
    try (Server server = new Server(pki.keyManagers("localhost").getKeyManagers(), pki.pkixTrust())) {
      X509ExtendedKeyManager plainClient = (X509ExtendedKeyManager) pki.keyManagers("client").getKeyManagers()[0];
      RaTlsTrustManager clientTm = trust().pkixFallback(pki.pkixTrust()).build();

      assertThat(connect(server.port(), plainClient, clientTm, "localhost", true)).isEqualTo('K');
    }
  }

  @Test
  void keyManager_regenerate_newKeyAndNonce() throws Exception {
    RaTlsKeyManager km = RaTlsKeyManager.create(amd.provider(), clock, new byte[] {1});
    X509Certificate first = km.certificate();

    X509Certificate second = km.regenerate(new byte[] {2});

    assertThat(second.getPublicKey()).isNotEqualTo(first.getPublicKey());
    assertThat(RaTlsEvidenceExtractor.extract(second).nonce()).hasValueSatisfying(n -> assertThat(n).containsExactly(2));
    assertThat(km.getCertificateChain(RaTlsKeyManager.ALIAS)).containsExactly(second);
  }

  static Throwable catchServerFailure(Server server) {
    try {
      server.peer.get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("server did not finish", e);
    }
    throw new AssertionError("server accepted the peer");
  }

  static X509ExtendedKeyManager fixed(PrivateKey key, X509Certificate cert) {
    return new X509ExtendedKeyManager() {
      @Override
      public String[] getClientAliases(String keyType, Principal[] issuers) {
        return new String[] {"k"};
      }

      @Override
      public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return "k";
      }

      @Override
      public String[] getServerAliases(String keyType, Principal[] issuers) {
        return new String[] {"k"};
      }

      @Override
      public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return "k";
      }

      @Override
      public X509Certificate[] getCertificateChain(String alias) {
        return new X509Certificate[] {cert};
      }

      @Override
      public PrivateKey getPrivateKey(String alias) {
        return key;
      }
    };
  }
}
