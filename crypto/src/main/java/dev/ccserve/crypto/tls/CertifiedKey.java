package dev.ccserve.crypto.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * A private key and its certificate chain (leaf first), as issued by a {@link
 * CertificateAuthority} or read from PEM. Immutable and thread-safe. {@link #toString()} names the
 * leaf only; the key leaves this object only through {@link #privateKeyPem()}, which callers use to
 * write a 0600 key file or an {@code ssl.cfg}.
 */
public final class CertifiedKey {
  private final PrivateKey privateKey;
  private final List<X509Certificate> chain;

  public CertifiedKey(PrivateKey privateKey, List<X509Certificate> chain) {
    this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
    if (chain == null || chain.isEmpty()) {
      throw new TlsMaterialException("expected a certificate chain with at least one certificate, found none");
    }
    this.chain = List.copyOf(chain);
  }

  public PrivateKey privateKey() {
    return privateKey;
  }

  public X509Certificate certificate() {
    return chain.get(0);
  }

  public List<X509Certificate> chain() {
    return chain;
  }

  /** The key as unencrypted PKCS#8 PEM. */
  public String privateKeyPem() {
    return Pem.encodePrivateKey(privateKey);
  }

  /** The leaf certificate as PEM. */
  public String certificatePem() {
    return Pem.encodeCertificate(certificate());
  }

  /** The whole chain as PEM, leaf first. */
  public String chainPem() {
    return Pem.encodeCertificates(chain);
  }

  @Override
  public String toString() {
    return "CertifiedKey[" + Pem.describe(certificate()) + "]";
  }
}
