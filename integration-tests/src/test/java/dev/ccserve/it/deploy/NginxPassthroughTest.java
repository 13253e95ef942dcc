package dev.ccserve.it.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real TLS passthrough through nginx rendered from {@code deploy/nginx/passthrough.conf.template}:
 * two JDK TLS backends with different certificates on loopback, nginx in front, and clients that
 * verify the BACKEND's certificate end to end (nginx has no key, so it cannot have terminated).
 */
class NginxPassthroughTest {

  private static final String SERVER_NAME = "grpc.tf-serving.service.com";

  @TempDir Path tmp;
  private final List<TlsBackend> backends = new ArrayList<>();
  private Process nginx;

  @AfterEach
  void stop() throws Exception {
    if (nginx != null) {
      nginx.destroy(); // SIGTERM to the master we started (by its own handle)
      if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
        nginx.destroyForcibly();
      }
    }
    for (TlsBackend b : backends) {
      b.close();
    }
  }

  @Test
  void passthrough_twoBackends_clientSeesBackendCertificateAndConnectionsAreSpread() throws Exception {
    Path nginxBin = NginxSupport.requireNginx();
    TlsBackend a = start("backend-a");
    TlsBackend b = start("backend-b");
    int listen = startNginx(nginxBin);
    SSLContext client = TestPki.trusting(a.identity.certificate(), b.identity.certificate());

    int[] seen = new int[2];
    for (int i = 0; i < 6; i++) {
      Exchange x = exchange(client, listen);
      int which = x.peer.equals(a.identity.certificate()) ? 0
          : x.peer.equals(b.identity.certificate()) ? 1 : -1;
      assertThat(which).as("peer certificate must be one of the backends' own").isNotNegative();
      // The application answer comes from the same backend whose certificate the client verified.
      assertThat(x.reply).isEqualTo(which == 0 ? "backend-a" : "backend-b");
      seen[which]++;
    }
    assertThat(seen[0]).as("connections on backend-a of 6").isGreaterThanOrEqualTo(2);
    assertThat(seen[1]).as("connections on backend-b of 6").isGreaterThanOrEqualTo(2);
    assertThat(a.handshakes.get() + b.handshakes.get()).isEqualTo(6);
  }

  @Test
  void passthrough_backendDown_connectionsFailOverToSurvivor() throws Exception {
    Path nginxBin = NginxSupport.requireNginx();
    TlsBackend a = start("backend-a");
    TlsBackend b = start("backend-b");
    int listen = startNginx(nginxBin);
    SSLContext client = TestPki.trusting(a.identity.certificate(), b.identity.certificate());
    b.close(); // refused connects: proxy_next_upstream retries on backend-a

    for (int i = 0; i < 4; i++) {
      Exchange x = exchange(client, listen);
      assertThat(x.peer).isEqualTo(a.identity.certificate());
      assertThat(x.reply).isEqualTo("backend-a");
    }
    assertThat(a.handshakes.get()).isEqualTo(4);
  }

  private TlsBackend start(String name) throws Exception {
    TlsBackend b = new TlsBackend(TestPki.selfSigned(tmp, name, SERVER_NAME), name);
    backends.add(b);
    return b;
  }

  private int startNginx(Path nginxBin) throws Exception {
    int grpc = NginxSupport.freePort();
    int rest = NginxSupport.freePort();
    String list = "127.0.0.1:" + backends.get(0).port() + ":" + backends.get(0).port()
        + ",127.0.0.1:" + backends.get(1).port() + ":" + backends.get(1).port();
    Path prefix = tmp.resolve("nginx");
    NginxSupport.render(prefix, "--backends", list, "--listen-grpc", "127.0.0.1:" + grpc,
        "--listen-rest", "127.0.0.1:" + rest, "--workers", "1");
    nginx = new ProcessBuilder(NginxSupport.nginxCommand(nginxBin, prefix, "-g", "daemon off;"))
        .redirectErrorStream(true).redirectOutput(tmp.resolve("nginx.out").toFile()).start();
    NginxSupport.awaitListening(grpc, Duration.ofSeconds(10), nginx);
    return grpc;
  }

  private record Exchange(Certificate peer, String reply) {}

  private static Exchange exchange(SSLContext ctx, int port) throws IOException {
    Socket raw = new Socket(InetAddress.getLoopbackAddress(), port);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, SERVER_NAME, port, true)) {
      s.setSoTimeout(10_000);
      SSLParameters p = s.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS"); // host name check against SERVER_NAME
      s.setSSLParameters(p);
      s.startHandshake();
      Certificate peer = s.getSession().getPeerCertificates()[0];
      OutputStream out = s.getOutputStream();
      out.write("who\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String reply = new BufferedReader(new InputStreamReader(s.getInputStream(),
          StandardCharsets.US_ASCII)).readLine();
      return new Exchange(peer, reply);
    }
  }

  /** A TLS server on a loopback port that answers one line with its name per connection. */
  private static final class TlsBackend implements AutoCloseable {
    final TestPki.Identity identity;
    final AtomicInteger handshakes = new AtomicInteger();
    private final SSLServerSocket server;
    private final Thread acceptor;

    TlsBackend(TestPki.Identity identity, String name) throws Exception {
      this.identity = identity;
      server = (SSLServerSocket) identity.serverContext().getServerSocketFactory()
          .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
      acceptor = new Thread(() -> {
        while (!server.isClosed()) {
          try (SSLSocket s = (SSLSocket) server.accept()) {
            s.setSoTimeout(10_000);
            s.startHandshake();
            handshakes.incrementAndGet();
            new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                .readLine();
            s.getOutputStream().write((name + "\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
          } catch (IOException e) {
            // closed server socket or a failed connection: next accept (or loop end)
          }
        }
      }, "tls-backend-" + name);
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    @Override
    public void close() throws Exception {
      server.close();
      acceptor.join(5000);
    }
  }
}
