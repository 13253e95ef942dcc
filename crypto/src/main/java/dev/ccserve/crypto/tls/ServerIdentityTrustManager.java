package dev.ccserve.crypto.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Date;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Client-side trust manager: PKIX chain validation by the JDK's trust manager first (chain,
 * signatures, key usage, and the HTTPS host-name check when the transport set it on the engine),
 * then the leaf's validity at the injected clock, then the host-name check against the
 * server-name override (or against the dialled host when the transport did not ask JSSE for
 * endpoint identification). Host-name verification can therefore not be switched off by a
 * transport that forgets to set it. Fails closed when no host is known. Thread-safe.
 */
final class ServerIdentityTrustManager extends X509ExtendedTrustManager {
  private final X509ExtendedTrustManager delegate;
  private final String serverNameOverride;
  private final Clock clock;

  ServerIdentityTrustManager(X509ExtendedTrustManager delegate, String serverNameOverride, Clock clock) {
    this.delegate = delegate;
    this.serverNameOverride = serverNameOverride;
    this.clock = clock;
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    if (serverNameOverride != null || engine == null) {
      delegate.checkServerTrusted(chain, authType);
      HostnameMatcher.verify(serverNameOverride, chain[0]); // fails closed without a name
    } else {
      delegate.checkServerTrusted(chain, authType, engine);
      if (!identifiesEndpoint(engine.getSSLParameters())) {
        HostnameMatcher.verify(engine.getPeerHost(), chain[0]);
      }
    }
    checkValidity(chain[0]);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    if (serverNameOverride != null || !(socket instanceof SSLSocket ssl)) {
      delegate.checkServerTrusted(chain, authType);
      HostnameMatcher.verify(serverNameOverride, chain[0]);
    } else {
      delegate.checkServerTrusted(chain, authType, socket);
      if (!identifiesEndpoint(ssl.getSSLParameters())) {
        SSLSession s = ssl.getHandshakeSession();
        HostnameMatcher.verify(s == null ? null : s.getPeerHost(), chain[0]);
      }
    }
    checkValidity(chain[0]);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate.checkServerTrusted(chain, authType);
    HostnameMatcher.verify(serverNameOverride, chain[0]); // fails closed without an override
    checkValidity(chain[0]);
  }

  private void checkValidity(X509Certificate leaf) throws CertificateException {
    leaf.checkValidity(Date.from(clock.instant()));
  }

  private static boolean identifiesEndpoint(SSLParameters p) {
    String alg = p.getEndpointIdentificationAlgorithm();
    return alg != null && !alg.isEmpty();
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    delegate.checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    delegate.checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate.checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return delegate.getAcceptedIssuers();
  }
}
