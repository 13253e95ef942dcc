package dev.ccserve.server;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * TLS for both serving ports, as standard JSSE managers so any key source (an ssl.cfg, a
 * certificate from the key broker with an in-TEE key) plugs in. {@code trustManager} verifies
 * client certificates and is required when {@code requireClientCert} is set.
 */
public record ServerTls(KeyManager keyManager, TrustManager trustManager,
    boolean requireClientCert) {
  public ServerTls {
    if (keyManager == null) {
      throw new IllegalArgumentException("a TLS key manager is required");
    }
    if (requireClientCert && trustManager == null) {
      throw new IllegalArgumentException(
          "client_verify is set but no CA (custom_ca) was given to verify client certificates");
    }
  }

  public SSLContext sslContext() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new KeyManager[] {keyManager},
          trustManager == null ? null : new TrustManager[] {trustManager}, null);
      return ctx;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("cannot initialise TLS: " + e.getMessage(), e);
    }
  }
}
