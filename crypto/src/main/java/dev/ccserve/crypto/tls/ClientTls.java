package dev.ccserve.crypto.tls;

import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Validated client-side TLS material: a trust manager that validates the server chain and always
 * verifies the server's name (the dialled host, or the server-name override), an optional client
 * key manager for mutual TLS, and a matching {@link SSLContext}. Created only by {@link
 * TlsContexts}; immutable and thread-safe.
 */
public final class ClientTls {
  private final X509ExtendedTrustManager trustManager;
  private final X509ExtendedKeyManager keyManager;
  private final String serverNameOverride;
  private final SSLContext sslContext;

  ClientTls(
      X509ExtendedTrustManager trustManager, X509ExtendedKeyManager keyManager,
      String serverNameOverride, SSLContext sslContext) {
    this.trustManager = trustManager;
    this.keyManager = keyManager;
    this.serverNameOverride = serverNameOverride;
    this.sslContext = sslContext;
  }

  public X509ExtendedTrustManager trustManager() {
    return trustManager;
  }

  public Optional<X509ExtendedKeyManager> keyManager() {
    return Optional.ofNullable(keyManager);
  }

  /** The name the server certificate must match instead of the dialled host (also the SNI name). */
  public Optional<String> serverNameOverride() {
    return Optional.ofNullable(serverNameOverride);
  }

  public SSLContext sslContext() {
    return sslContext;
  }

  @Override
  public String toString() {
    return "ClientTls[mutual=" + (keyManager != null) + ", serverNameOverride=" + serverNameOverride + "]";
  }
}
