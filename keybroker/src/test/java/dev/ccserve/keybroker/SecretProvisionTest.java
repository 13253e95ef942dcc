package dev.ccserve.keybroker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ccserve.attestation.ratls.RaTlsKeyManager;
import dev.ccserve.attestation.simulated.SimulatedEvidenceProvider;
import dev.ccserve.crypto.tls.TlsContexts;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;

/**
 * Gramine secret_prov interop, with a client written here the way Gramine's
 * {@code secret_prov_attest.c} behaves: RA-TLS client certificate WITHOUT a nonce, plain TLS
 * socket, the 35-byte request, then exactly 41 header bytes and the secret.
 */
class SecretProvisionTest extends BrokerTestBase {
  static final String REQUEST = "SECRET_PROVISION_RA_TLS_REQUEST_V1";
  static final String RESPONSE = "SECRET_PROVISION_RA_TLS_RESPONSE_V1:";

  /** Gramine-style exchange; returns the secret or null when the broker closed without answering. */
  static byte[] gramineClient(TestBroker tb, KeyManager km) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(new KeyManager[] {km}, new TrustManager[] {
        TlsContexts.client(tb.ca.caCertificatePem(), null, null, null, CLOCK).trustManager()}, null);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("localhost", tb.broker.secretProvisionPort())) {
      s.setSoTimeout(20_000);
      SSLParameters p = s.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS");
      s.setSSLParameters(p);
      s.startHandshake();
      byte[] req = (REQUEST + "\0").getBytes(StandardCharsets.US_ASCII);
      assertThat(req).hasSize(35);
      s.getOutputStream().write(req);
      s.getOutputStream().flush();
      DataInputStream in = new DataInputStream(s.getInputStream());
      byte[] header = new byte[41];
      try {
        in.readFully(header);
      } catch (EOFException | javax.net.ssl.SSLException e) {
        return null;
      }
      assertThat(new String(header, 0, 37, StandardCharsets.US_ASCII)).isEqualTo(RESPONSE + "\0");
      int len = ByteBuffer.wrap(header, 37, 4).getInt(); // big-endian
      byte[] secret = new byte[len];
      in.readFully(secret);
      return secret;
    }
  }

  @Test
  void secretProv_noNonceAllowedByPolicy_receivesWrapKey() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, true)).start(platform.verifier(CLOCK), CLOCK);

    byte[] secret = gramineClient(tb, RaTlsKeyManager.create(good, CLOCK, null));

    assertThat(secret).hasSize(16).isEqualTo(tb.secret);
    var last = tb.lastAudit();
    assertThat(last.get("protocol").asText()).isEqualTo("secret_prov");
    assertThat(last.get("decision").asText()).isEqualTo("released");
    assertThat(last.get("nonce").asText()).isEqualTo("none");
    assertThat(last.get("secrets").get(0).asText()).isEqualTo(TestBroker.SECRET);
  }

  @Test
  void secretProv_noNonceNotAllowed_refusedWithoutAnswer() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false)).start(platform.verifier(CLOCK), CLOCK);

    byte[] secret = gramineClient(tb, RaTlsKeyManager.create(good, CLOCK, null));

    assertThat(secret).isNull();
    var last = tb.lastAudit();
    assertThat(last.get("protocol").asText()).isEqualTo("secret_prov");
    assertThat(last.get("decision").asText()).isEqualTo("denied");
    assertThat(last.get("reason").asText()).isEqualTo("NONCE_STALE");
    assertThat(last.get("detail").asText()).contains("allow_no_nonce");
  }

  @Test
  void onePort_servesGrpcAndSecretProv() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, true)).start(platform.verifier(CLOCK), CLOCK);

    assertThat(tb.broker.secretProvisionPort()).isEqualTo(tb.broker.grpcPort());
    assertThat(gramineClient(tb, RaTlsKeyManager.create(good, CLOCK, null))).isEqualTo(tb.secret);
    assertThat(tb.client(good).provision().wrapKeys()).containsKey(TestBroker.SECRET);
    assertThat(tb.audit()).extracting(n -> n.get("protocol").asText())
        .containsExactly("secret_prov", "grpc", "grpc");
  }

  @Test
  void secretProv_dedicatedPort_servesGramineAndRefusesGrpc() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, true))
        .start(platform.verifier(CLOCK), CLOCK, KeyBrokerOptions.defaults().withPorts(0, 0));
    assertThat(tb.broker.secretProvisionPort()).isNotEqualTo(tb.broker.grpcPort());

    assertThat(gramineClient(tb, RaTlsKeyManager.create(good, CLOCK, null))).isEqualTo(tb.secret);

    // a client without certificate is refused at the dedicated port's handshake
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {
        TlsContexts.client(tb.ca.caCertificatePem(), null, null, null, CLOCK).trustManager()}, null);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("localhost", tb.broker.secretProvisionPort())) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write((REQUEST + "\0").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      assertThat(readAll(s.getInputStream())).isEmpty();
    } catch (IOException e) {
      // handshake refused (TLS alert or broken pipe): the expected outcome on this port
    }
  }

  @Test
  void secretProv_noClientCertificateOnMainPort_refused() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, true)).start(platform.verifier(CLOCK), CLOCK);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {
        TlsContexts.client(tb.ca.caCertificatePem(), null, null, null, CLOCK).trustManager()}, null);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("localhost", tb.broker.secretProvisionPort())) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write((REQUEST + "\0").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      assertThat(readAll(s.getInputStream())).isEmpty();
    }
    assertThat(tb.lastAudit().get("reason").asText()).isEqualTo("NO_CLIENT_CERTIFICATE");
  }

  @Test
  void secretProv_wrongRequestBytes_refused() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, true)).start(platform.verifier(CLOCK), CLOCK);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(new KeyManager[] {RaTlsKeyManager.create(good, CLOCK, null)}, new TrustManager[] {
        TlsContexts.client(tb.ca.caCertificatePem(), null, null, null, CLOCK).trustManager()}, null);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("localhost", tb.broker.secretProvisionPort())) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(Arrays.copyOf("SECRET_PROVISION_RA_TLS_REQUEST_V2".getBytes(StandardCharsets.US_ASCII), 35));
      // (same first 4 bytes "SECR" as the real request, so it reaches the secret_prov handler)
      s.getOutputStream().flush();
      assertThat(readAll(s.getInputStream())).isEmpty();
    }
    assertThat(tb.lastAudit().get("reason").asText()).isEqualTo("PROTOCOL_ERROR");
  }

  @Test
  void brokers_slowClientsHoldingConnections_doNotBlockOthers() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, true)).start(platform.verifier(CLOCK), CLOCK);
    // Connections that never speak: one on each port.
    try (Socket idleSp = new Socket("localhost", tb.broker.secretProvisionPort());
        Socket idleGrpc = new Socket("localhost", tb.broker.grpcPort())) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        Future<byte[]> g1 = pool.submit(() -> gramineClient(tb, RaTlsKeyManager.create(good, CLOCK, null)));
        Future<byte[]> g2 = pool.submit(() -> gramineClient(tb, RaTlsKeyManager.create(good, CLOCK, null)));
        Future<?> c1 = pool.submit(() -> tb.client(good).provision());
        Future<?> c2 = pool.submit(() -> tb.client(good).provision());
        assertThat(g1.get(60, TimeUnit.SECONDS)).isEqualTo(tb.secret);
        assertThat(g2.get(60, TimeUnit.SECONDS)).isEqualTo(tb.secret);
        assertThat(c1.get(60, TimeUnit.SECONDS)).isNotNull();
        assertThat(c2.get(60, TimeUnit.SECONDS)).isNotNull();
      } finally {
        pool.shutdownNow();
      }
      assertThat(idleSp.isClosed()).isFalse();
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    try {
      in.transferTo(o);
    } catch (javax.net.ssl.SSLException | java.net.SocketException e) {
      // closed by the broker
    }
    return o.toByteArray();
  }
}
