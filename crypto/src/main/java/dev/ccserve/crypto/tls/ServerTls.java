package dev.ccserve.crypto.tls;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Validated server-side TLS material, ready for any JSSE-based transport: a key manager holding
 * exactly one key and chain, an optional trust manager for client certificates, the client-auth
 * mode, and a matching {@link SSLContext} / {@link SSLParameters} pair for servers that take those
 * (JDK {@code HttpsServer}, Netty). Created only by {@link TlsContexts}; immutable and
 * thread-safe.
 */
public final class ServerTls {
  private final X509ExtendedKeyManager keyManager;
  private final X509ExtendedTrustManager trustManager;
  private final ClientAuth clientAuth;
  private final List<X509Certificate> chain;
  private final SSLContext sslContext;

  ServerTls(
      X509ExtendedKeyManager keyManager, X509ExtendedTrustManager trustManager, ClientAuth clientAuth,
      List<X509Certificate> chain, SSLContext sslContext) {
    this.keyManager = keyManager;
    this.trustManager = trustManager;
    this.clientAuth = clientAuth;
    this.chain = List.copyOf(chain);
    this.sslContext = sslContext;
  }

  public X509ExtendedKeyManager keyManager() {
    return keyManager;
  }

  /** The client-certificate trust manager; present exactly when {@link #clientAuth()} is not NONE. */
  public Optional<X509ExtendedTrustManager> trustManager() {
    return Optional.ofNullable(trustManager);
  }

  public ClientAuth clientAuth() {
    return clientAuth;
  }

  /** The server's certificate chain, leaf first. */
  public List<X509Certificate> certificateChain() {
    return chain;
  }

  /** A TLS context built from the same key and trust managers. */
  public SSLContext sslContext() {
    return sslContext;
  }

  /**
   * Fresh parameters with the client-auth mode applied ({@code setNeedClientAuth} /
   * {@code setWantClientAuth}) and TLS 1.3/1.2 only. Apply them with {@code setSSLParameters};
   * the JDK {@code HttpsServer} ignores {@code HttpsParameters.setNeedClientAuth} alone.
   */
  public SSLParameters sslParameters() {
    SSLParameters p = sslContext.getDefaultSSLParameters();
    p.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
    if (clientAuth == ClientAuth.REQUIRE) {
      p.setNeedClientAuth(true);
    } else if (clientAuth == ClientAuth.OPTIONAL) {
      p.setWantClientAuth(true);
    }
    return p;
  }

  @Override
  public String toString() {
    return "ServerTls[" + Pem.describe(chain.get(0)) + ", clientAuth=" + clientAuth + "]";
  }
}
