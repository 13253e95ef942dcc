package dev.ccserve.crypto.tls;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Builds validated JSSE key managers, trust managers and SSL contexts from PEM text, for servers
 * (TF Serving's {@code SSLConfig}: key, chain, optional client CA, client-auth mode) and clients
 * (trust roots or a pinned server certificate, optional client key and chain, server-name
 * override).
 *
 * <p>Everything is checked at build time, failing with a {@link TlsMaterialException}: PEM syntax,
 * key/certificate match, chain links, validity at the injected clock, a client CA when client
 * certificates are required, and (for clients with a client certificate) nothing else, since the
 * client's CA is the server's business. Trust anchors may be CA certificates or, as with the seed
 * client's {@code -crt} without {@code -ca}, the server's own certificate (trust on exactly that
 * certificate). Stateless and thread-safe.
 */
public final class TlsContexts {
  private TlsContexts() {}

  /** Server material; {@code clientCaPem} may be null or blank only when {@code clientAuth} is NONE. */
  public static ServerTls server(
      String privateKeyPem, String certificateChainPem, String clientCaPem, ClientAuth clientAuth, Clock clock) {
    CertifiedKey key = certifiedKey(privateKeyPem, certificateChainPem, "server", clock);
    X509ExtendedTrustManager tm = null;
    if (clientAuth != ClientAuth.NONE) {
      if (clientCaPem == null || clientCaPem.isBlank()) {
        throw new TlsMaterialException(
            "expected CA certificates for verifying client certificates (custom_ca) with client auth "
                + clientAuth + ", found none");
      }
      List<X509Certificate> roots = Pem.readCertificates(clientCaPem);
      CertificateChecks.requireValid(roots, clock, "client CA");
      tm = pkixTrustManager(roots);
    }
    X509ExtendedKeyManager km = keyManager(key);
    return new ServerTls(km, tm, clientAuth, key.chain(), sslContext(km, tm));
  }

  /**
   * Server material from TF Serving's {@code SSLConfig} fields (PEM text, not paths):
   * {@code client_verify: true} means REQUIRE with {@code custom_ca} as the client roots; false
   * means NONE (like TF Serving, which then never requests a client certificate).
   */
  public static ServerTls fromSslConfig(
      String serverKey, String serverCert, String customCa, boolean clientVerify, Clock clock) {
    return server(serverKey, serverCert, customCa, clientVerify ? ClientAuth.REQUIRE : ClientAuth.NONE, clock);
  }

  /**
   * Client material. {@code trustedPem}: CA certificates or the server's own certificate; null
   * uses the JDK's default roots. {@code clientKeyPem} and {@code clientCertPem}: both or neither.
   * {@code serverNameOverride}: the name the server certificate must match (null: the dialled host).
   */
  public static ClientTls client(
      String trustedPem, String clientKeyPem, String clientCertPem, String serverNameOverride, Clock clock) {
    X509ExtendedTrustManager pkix;
    if (trustedPem == null) {
      pkix = defaultTrustManager();
    } else {
      List<X509Certificate> roots = Pem.readCertificates(trustedPem);
      CertificateChecks.requireValid(roots, clock, "trusted");
      pkix = pkixTrustManager(roots);
    }
    String override = serverNameOverride == null || serverNameOverride.isBlank() ? null : serverNameOverride;
    X509ExtendedTrustManager tm = new ServerIdentityTrustManager(pkix, override, clock);
    X509ExtendedKeyManager km = null;
    if ((clientKeyPem == null) != (clientCertPem == null)) {
      throw new TlsMaterialException(
          "expected both a client key and a client certificate for mutual TLS, found only the "
              + (clientKeyPem == null ? "certificate" : "key"));
    }
    if (clientKeyPem != null) {
      km = new AnyIssuerKeyManager(keyManager(certifiedKey(clientKeyPem, clientCertPem, "client", clock)));
    }
    return new ClientTls(tm, km, override, sslContext(km, tm));
  }

  /** Reads and checks a key with its chain: PEM, chain links, key match, validity at the clock. */
  public static CertifiedKey certifiedKey(String privateKeyPem, String chainPem, String role, Clock clock) {
    PrivateKey key = Pem.readPrivateKey(privateKeyPem);
    List<X509Certificate> chain = Pem.readCertificates(chainPem);
    CertificateChecks.requireChainLinked(chain, role);
    CertificateChecks.requireKeyMatches(key, chain.get(0), role);
    CertificateChecks.requireValid(chain, clock, role);
    return new CertifiedKey(key, chain);
  }

  /** The JDK's PKIX trust manager over exactly {@code roots}. */
  public static X509ExtendedTrustManager pkixTrustManager(List<X509Certificate> roots) {
    try {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      for (int i = 0; i < roots.size(); i++) {
        ks.setCertificateEntry("root-" + i, roots.get(i));
      }
      TrustManagerFactory f = TrustManagerFactory.getInstance("PKIX");
      f.init(ks);
      return onlyExtended(f.getTrustManagers());
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new TlsMaterialException("cannot build a trust manager from " + roots.size() + " certificates", e);
    }
  }

  /** A key manager holding exactly {@code key} (in an in-memory key store with a random password). */
  public static X509ExtendedKeyManager keyManager(CertifiedKey key) {
    try {
      char[] password = randomPassword();
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("key", key.privateKey(), password, key.chain().toArray(new X509Certificate[0]));
      KeyManagerFactory f = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      f.init(ks, password);
      for (KeyManager km : f.getKeyManagers()) {
        if (km instanceof X509ExtendedKeyManager x) {
          return x;
        }
      }
      throw new TlsMaterialException("the JDK key manager factory returned no X509ExtendedKeyManager");
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new TlsMaterialException("cannot build a key manager for " + key, e);
    }
  }

  private static X509ExtendedTrustManager defaultTrustManager() {
    try {
      TrustManagerFactory f = TrustManagerFactory.getInstance("PKIX");
      f.init((KeyStore) null);
      return onlyExtended(f.getTrustManagers());
    } catch (GeneralSecurityException e) {
      throw new TlsMaterialException("cannot load the JDK's default trust roots", e);
    }
  }

  private static X509ExtendedTrustManager onlyExtended(TrustManager[] tms) {
    for (TrustManager tm : tms) {
      if (tm instanceof X509ExtendedTrustManager x) {
        return x;
      }
    }
    throw new TlsMaterialException("the JDK trust manager factory returned no X509ExtendedTrustManager");
  }

  private static SSLContext sslContext(KeyManager km, TrustManager tm) {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(
          km == null ? null : new KeyManager[] {km},
          tm == null ? null : new TrustManager[] {tm},
          new SecureRandom());
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new TlsMaterialException("cannot initialise a TLS context", e);
    }
  }

  private static char[] randomPassword() {
    SecureRandom r = new SecureRandom();
    char[] c = new char[24];
    for (int i = 0; i < c.length; i++) {
      c[i] = (char) ('a' + r.nextInt(26));
    }
    return c;
  }
}
