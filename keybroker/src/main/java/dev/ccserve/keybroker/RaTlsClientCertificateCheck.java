package dev.ccserve.keybroker;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.ratls.RaTlsEvidenceExtractor;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Date;
import java.util.Objects;
import java.util.function.BiConsumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The broker's handshake-time check of client certificates. It accepts only a lone, self-signed,
 * currently valid certificate carrying RA-TLS evidence that is bound to the certificate's key
 * ({@link RaTlsEvidenceExtractor}); so a replayed RA-TLS certificate presented with another key
 * fails here, and the TLS handshake proves possession of the bound key. The (expensive) evidence
 * verification and the policy run later, per connection, in the {@link Gatekeeper}, so that the
 * client learns the reason of a denial and the nonce can be checked against the matching entry.
 *
 * <p>Rejections are reported to a listener (peer, exception) for the audit log. Never trusts
 * server certificates. Thread-safe.
 */
final class RaTlsClientCertificateCheck extends X509ExtendedTrustManager {
  private final Clock clock;
  private final BiConsumer<String, AttestationException> rejected;

  RaTlsClientCertificateCheck(Clock clock, BiConsumer<String, AttestationException> rejected) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.rejected = Objects.requireNonNull(rejected, "rejected");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, socket == null || socket.getRemoteSocketAddress() == null ? null
        : socket.getRemoteSocketAddress().toString());
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, engine == null ? null : engine.getPeerHost() + ":" + engine.getPeerPort());
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain, null);
  }

  private void check(X509Certificate[] chain, String peer) throws CertificateException {
    try {
      checkChain(chain);
    } catch (AttestationException e) {
      rejected.accept(peer, e);
      throw new CertificateException("RA-TLS client certificate rejected: " + e.getMessage(), e);
    }
  }

  private void checkChain(X509Certificate[] chain) throws AttestationException {
    if (chain == null || chain.length != 1) {
      throw new AttestationException(AttestationException.Reason.MALFORMED, "ratls_certificate",
          "expected a lone self-signed RA-TLS certificate, found a chain of "
              + (chain == null ? 0 : chain.length));
    }
    X509Certificate cert = chain[0];
    if (!RaTlsEvidenceExtractor.isRaTls(cert)) {
      throw new AttestationException(AttestationException.Reason.MALFORMED, "ratls_extension",
          "expected an RA-TLS client certificate, found " + cert.getSubjectX500Principal().getName()
              + " without RA-TLS evidence extensions");
    }
    try {
      cert.checkValidity(Date.from(clock.instant()));
      cert.verify(cert.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new AttestationException(AttestationException.Reason.CERT_CHAIN_INVALID, "ratls_certificate",
          "RA-TLS certificate is not valid now or not self-signed: " + e.getClass().getSimpleName());
    }
    RaTlsEvidenceExtractor.extract(cert);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("the key broker never trusts server certificates");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException("the key broker never trusts server certificates");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("the key broker never trusts server certificates");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
