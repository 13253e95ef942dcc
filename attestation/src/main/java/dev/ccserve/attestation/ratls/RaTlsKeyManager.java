package dev.ccserve.attestation.ratls;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.EvidenceProvider;
import java.net.Socket;
import java.security.KeyPair;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A JSSE key manager that presents an RA-TLS certificate and its private key (generated here, in
 * the TEE, and never exported) as client or server identity under the alias {@value #ALIAS}.
 * {@link #regenerate(byte[])} makes a fresh key (P-384 as Gramine, unless created with another
 * {@link RaTlsCertificates.KeyCurve}) and certificate, e.g. with a new broker nonce, and swaps them
 * in atomically for subsequent handshakes.
 *
 * <p>Offers the identity only for EC key types and ignores the peer's list of acceptable issuers
 * (an RA-TLS certificate is self-signed by design). Thread-safe.
 */
public final class RaTlsKeyManager extends X509ExtendedKeyManager {
  /** The only alias. */
  public static final String ALIAS = "ratls";

  private record Identity(PrivateKey key, X509Certificate cert) {}

  private final EvidenceProvider provider;
  private final Clock clock;
  private final Duration validity;
  private final RaTlsCertificates.KeyCurve curve;
  private final AtomicReference<Identity> current = new AtomicReference<>();

  private RaTlsKeyManager(EvidenceProvider provider, Clock clock, Duration validity,
      RaTlsCertificates.KeyCurve curve) {
    this.provider = Objects.requireNonNull(provider, "provider");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.validity = Objects.requireNonNull(validity, "validity");
    this.curve = Objects.requireNonNull(curve, "curve");
  }

  /** Creates a key manager with a first identity bound to {@code nonce} (nullable). */
  public static RaTlsKeyManager create(EvidenceProvider provider, Clock clock, byte[] nonce)
      throws AttestationException {
    return create(provider, clock, nonce, RaTlsCertificates.DEFAULT_VALIDITY);
  }

  /** As {@link #create(EvidenceProvider, Clock, byte[])} with a certificate lifetime. */
  public static RaTlsKeyManager create(EvidenceProvider provider, Clock clock, byte[] nonce, Duration validity)
      throws AttestationException {
    return create(provider, clock, nonce, validity, RaTlsCertificates.KeyCurve.P384);
  }

  /** As {@link #create(EvidenceProvider, Clock, byte[], Duration)} with keys on {@code curve}. */
  public static RaTlsKeyManager create(EvidenceProvider provider, Clock clock, byte[] nonce, Duration validity,
      RaTlsCertificates.KeyCurve curve) throws AttestationException {
    RaTlsKeyManager km = new RaTlsKeyManager(provider, clock, validity, curve);
    km.regenerate(nonce);
    return km;
  }

  /** Generates a new key pair and RA-TLS certificate (bound to {@code nonce}, nullable) and uses them. */
  public X509Certificate regenerate(byte[] nonce) throws AttestationException {
    KeyPair kp = curve.generate();
    X509Certificate cert = RaTlsCertificates.create(kp, provider, nonce, clock, validity);
    current.set(new Identity(kp.getPrivate(), cert));
    return cert;
  }

  /** The certificate currently presented. */
  public X509Certificate certificate() {
    return current.get().cert();
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return ec(keyType) ? new String[] {ALIAS} : null;
  }

  @Override
  public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
    return anyEc(keyTypes) ? ALIAS : null;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
    return anyEc(keyTypes) ? ALIAS : null;
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return ec(keyType) ? new String[] {ALIAS} : null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return ec(keyType) ? ALIAS : null;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return ec(keyType) ? ALIAS : null;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return ALIAS.equals(alias) ? new X509Certificate[] {current.get().cert()} : null;
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return ALIAS.equals(alias) ? current.get().key() : null;
  }

  private static boolean anyEc(String[] keyTypes) {
    if (keyTypes == null) {
      return true;
    }
    for (String t : keyTypes) {
      if (ec(t)) {
        return true;
      }
    }
    return false;
  }

  private static boolean ec(String keyType) {
    return keyType == null || keyType.equals("EC") || keyType.startsWith("EC_");
  }

  @Override
  public String toString() {
    return "RaTlsKeyManager{provider=" + provider.name() + ", curve=" + curve + "}";
  }
}
