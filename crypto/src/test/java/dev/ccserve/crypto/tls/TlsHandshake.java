package dev.ccserve.crypto.tls;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/** Test helper: one TLS handshake plus a one-byte echo over real loopback sockets. */
final class TlsHandshake {
  /** What the server saw: the peer's subject, or null when the client sent no certificate. */
  record Result(String clientSubject) {}

  private TlsHandshake() {}

  /** Connects to loopback but announces/verifies {@code dialledHost}; returns the server's view. */
  static Result run(ServerTls server, ClientTls client, String dialledHost) throws Exception {
    try (SSLServerSocket ss = (SSLServerSocket) server.sslContext().getServerSocketFactory()
        .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ss.setSSLParameters(server.sslParameters());
      CompletableFuture<Result> served = CompletableFuture.supplyAsync(() -> {
        try (SSLSocket s = (SSLSocket) ss.accept()) {
          s.setSoTimeout(5000);
          s.startHandshake();
          int b = s.getInputStream().read();
          s.getOutputStream().write(b);
          s.getOutputStream().flush();
          String subject = null;
          try {
            subject = ((java.security.cert.X509Certificate) s.getSession().getPeerCertificates()[0])
                .getSubjectX500Principal().getName();
          } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            // no client certificate
          }
          return new Result(subject);
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      Socket plain = new Socket();
      plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), ss.getLocalPort()), 5000);
      try (SSLSocket c = (SSLSocket) client.sslContext().getSocketFactory()
          .createSocket(plain, dialledHost, ss.getLocalPort(), true)) {
        c.setSoTimeout(5000);
        SSLParameters p = c.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        c.setSSLParameters(p);
        c.startHandshake();
        c.getOutputStream().write(42);
        c.getOutputStream().flush();
        int echoed = c.getInputStream().read();
        if (echoed != 42) {
          throw new IOException("connection closed by the server (read " + echoed + ")");
        }
      }
      return served.get(5, TimeUnit.SECONDS);
    }
  }
}
