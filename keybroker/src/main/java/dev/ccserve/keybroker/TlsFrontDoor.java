package dev.ccserve.keybroker;

import dev.ccserve.attestation.AttestationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's TLS listener. After the TLS handshake (JSSE) it reads the first 4 bytes and
 * dispatches: {@code "PRI "} (the HTTP/2 connection preface) goes to the gRPC API through the
 * {@link GrpcBridge}; {@code "SECR"} is Gramine's secret provisioning protocol (attestation.md
 * section 2) for unmodified enclaves; anything else is audited as PROTOCOL_ERROR and closed. A
 * listener built without a bridge serves secret_prov only and requires a client certificate in
 * the handshake; with a bridge, the certificate is optional at the TLS level (gRPC's Challenge
 * needs none) and enforced per request. Gramine's exchange, byte by byte:
 *
 * <pre>
 * client -> broker  "SECRET_PROVISION_RA_TLS_REQUEST_V1" 0x00                 (35 bytes, exact)
 * broker -> client  "SECRET_PROVISION_RA_TLS_RESPONSE_V1:" 0x00              (37 bytes)
 *                   uint32 big-endian secret length                          (4 bytes)
 *                   the secret                                                (length bytes)
 * </pre>
 *
 * The secret is the matching policy entry's {@code secret_prov_secret}. Gramine's request carries
 * no nonce, so it is served only for entries with {@code allow_no_nonce: true} (unless the
 * certificate happens to carry a fresh ccserve nonce). On any refusal the connection is closed
 * without a response, as Gramine's own server does; the reason goes to the audit log.
 *
 * <p>One worker thread per connection from a bounded pool (extra connections are closed at once);
 * the handshake and the request read are bounded by the read timeout, so a slow client holds only
 * its own thread. Thread-safe.
 */
final class TlsFrontDoor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TlsFrontDoor.class);
  static final String PROTOCOL = "secret_prov";
  static final byte[] REQUEST = "SECRET_PROVISION_RA_TLS_REQUEST_V1\0".getBytes(StandardCharsets.US_ASCII);
  static final byte[] RESPONSE_PREFIX =
      "SECRET_PROVISION_RA_TLS_RESPONSE_V1:\0".getBytes(StandardCharsets.US_ASCII);

  private static final byte[] HTTP2_HEAD = "PRI ".getBytes(StandardCharsets.US_ASCII);
  private final BrokerCore core;
  private final GrpcBridge grpc;
  private final SSLServerSocket socket;
  private final ExecutorService workers;
  private final int timeoutMs;
  private final Thread acceptor;
  private final AtomicInteger active = new AtomicInteger();

  /** {@code grpc} null: secret_prov only, client certificate required at the handshake. */
  TlsFrontDoor(BrokerCore core, GrpcBridge grpc, SSLContext tls, String bindAddress, int port, Duration readTimeout,
      int maxConnections) throws IOException {
    this.core = Objects.requireNonNull(core, "core");
    this.grpc = grpc;
    this.timeoutMs = (int) Math.min(Integer.MAX_VALUE, readTimeout.toMillis());
    ServerSocket s = tls.getServerSocketFactory().createServerSocket(port, 128, InetAddress.getByName(bindAddress));
    this.socket = (SSLServerSocket) s;
    SSLParameters p = socket.getSSLParameters();
    p.setProtocols(supported(socket.getSupportedProtocols(), "TLSv1.3", "TLSv1.2"));
    if (grpc == null) {
      p.setNeedClientAuth(true);
    } else {
      p.setWantClientAuth(true);
      p.setApplicationProtocols(new String[] {"h2"}); // grpc-java requires ALPN h2; Gramine offers none
    }
    socket.setSSLParameters(p);
    this.workers = new ThreadPoolExecutor(0, maxConnections, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, "keybroker-connection");
      t.setDaemon(true);
      return t;
    });
    this.acceptor = new Thread(this::acceptLoop, "keybroker-accept-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  private void acceptLoop() {
    while (!socket.isClosed()) {
      Socket s;
      try {
        s = socket.accept();
      } catch (IOException e) {
        if (!socket.isClosed()) {
          LOG.warn("event=accept_failed error={}", e.toString());
        }
        continue;
      }
      try {
        workers.execute(() -> serve((SSLSocket) s));
      } catch (RejectedExecutionException e) {
        LOG.warn("event=connection_refused peer={} reason=too_many_connections",
            s.getRemoteSocketAddress());
        closeQuietly(s);
      }
    }
  }

  private void serve(SSLSocket s) {
    String peer = String.valueOf(s.getRemoteSocketAddress());
    active.incrementAndGet();
    try (s) {
      s.setSoTimeout(timeoutMs);
      // The relay and secret_prov write small records (gRPC HEADERS, DATA, trailers): without
      // TCP_NODELAY, Nagle holds each behind the peer's delayed ACK (up to 40 ms on Linux).
      s.setTcpNoDelay(true);
      s.startHandshake(); // client-certificate rejections are audited by the trust manager
      byte[] head = readExactly(s.getInputStream(), 4);
      if (head == null) {
        return;
      }
      if (grpc != null && Arrays.equals(head, HTTP2_HEAD)) {
        grpc.relay(s, head, peer);
      } else if (Arrays.equals(head, Arrays.copyOf(REQUEST, 4))) {
        secretProv(s, peer);
      } else {
        core.recordDenial(core.event(peer, "unknown", "request").denied("PROTOCOL_ERROR", "request",
            "expected the HTTP/2 preface (gRPC) or the Gramine SECRET_PROVISION_RA_TLS_REQUEST_V1 request,"
                + " found other bytes"));
      }
    } catch (SocketException e) {
      LOG.debug("event=connection_closed peer={} error={}", peer, e.toString());
    } catch (IOException e) {
      LOG.debug("event=connection_failed peer={} error={}", peer, e.toString());
    } catch (RuntimeException e) {
      LOG.warn("event=internal_error peer={} error={}", peer, e.toString());
    } finally {
      active.decrementAndGet();
    }
  }

  private void secretProv(SSLSocket s, String peer) throws IOException {
    byte[] rest = readExactly(s.getInputStream(), REQUEST.length - 4);
    AuditEvent event = core.event(peer, PROTOCOL, "request");
    if (rest == null || !MessageDigest.isEqual(rest, Arrays.copyOfRange(REQUEST, 4, REQUEST.length))) {
      core.recordDenial(event.denied("PROTOCOL_ERROR", "request",
          "expected the 35-byte SECRET_PROVISION_RA_TLS_REQUEST_V1 request, found "
              + (rest == null ? "end of stream" : "other bytes")));
      return;
    }
    if (!BrokerCore.hasClientCertificate(s.getSession())) {
      core.recordDenial(event.denied("NO_CLIENT_CERTIFICATE", "client_certificate",
          "secret_prov needs an RA-TLS client certificate, found none"));
      return;
    }
    BrokerState state = core.state();
    Admission a;
    try {
      a = core.admit(s.getSession(), state, event);
    } catch (AttestationException e) {
      core.recordDenial(event.denied(e));
      return;
    }
    String name = a.entry().secretProvSecret();
    Secret secret = name == null ? null : state.secrets().get(name).orElse(null);
    if (secret == null) {
      core.recordDenial(event.denied("NO_SECRET_PROV_SECRET", "secret_prov_secret",
          "policy entry \"" + a.entry().name() + "\" names no secret for secret_prov clients"));
      return;
    }
    event.released(java.util.List.of(secret.name()));
    core.record(event); // before anything leaves
    send(s.getOutputStream(), secret);
  }

  private static void send(OutputStream out, Secret secret) throws IOException {
    byte[] bytes = secret.toCleartextBytes();
    ByteBuffer msg = ByteBuffer.allocate(RESPONSE_PREFIX.length + 4 + bytes.length);
    msg.put(RESPONSE_PREFIX).putInt(bytes.length).put(bytes); // ByteBuffer is big-endian
    Arrays.fill(bytes, (byte) 0);
    try {
      out.write(msg.array());
      out.flush();
    } finally {
      Arrays.fill(msg.array(), (byte) 0);
    }
  }

  /** Reads exactly n bytes, or returns null at end of stream. */
  private static byte[] readExactly(InputStream in, int n) throws IOException {
    byte[] b = new byte[n];
    int off = 0;
    while (off < n) {
      int r = in.read(b, off, n - off);
      if (r < 0) {
        return null;
      }
      off += r;
    }
    return b;
  }

  private static String[] supported(String[] have, String... want) {
    return Arrays.stream(want).filter(w -> Arrays.asList(have).contains(w)).toArray(String[]::new);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing to do
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
    if (grpc != null) {
      grpc.close();
    }
    workers.shutdownNow();
    try {
      acceptor.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
