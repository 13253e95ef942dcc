package dev.ccserve.keybroker.client;

import dev.ccserve.crypto.key.WrapKey;
import dev.ccserve.crypto.tls.CertifiedKey;
import dev.ccserve.crypto.tls.Pem;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a successful {@link KeyBrokerClient#provision()} obtained: the wrap keys by name, the
 * serving identity (the in-TEE private key that was attested, with the certificate the broker
 * signed for it followed by the broker CA certificate), the broker CA certificate, and the name of
 * the policy entry that admitted this server. Immutable and thread-safe; {@link #toString()} shows
 * key ids and certificate names only.
 */
public final class Provisioning {
  private final Map<String, WrapKey> wrapKeys;
  private final CertifiedKey servingKey;
  private final X509Certificate brokerCa;
  private final String policyEntry;

  Provisioning(Map<String, WrapKey> wrapKeys, CertifiedKey servingKey, X509Certificate brokerCa, String policyEntry) {
    this.wrapKeys = Collections.unmodifiableMap(new TreeMap<>(wrapKeys));
    this.servingKey = Objects.requireNonNull(servingKey, "servingKey");
    this.brokerCa = Objects.requireNonNull(brokerCa, "brokerCa");
    this.policyEntry = Objects.requireNonNull(policyEntry, "policyEntry");
  }

  /** Secret name to wrap key; unmodifiable, sorted by name. */
  public Map<String, WrapKey> wrapKeys() {
    return wrapKeys;
  }

  /**
   * The serving TLS identity: the private key generated in this process (the one bound into the
   * RA-TLS evidence) and the chain [serving certificate, broker CA].
   */
  public CertifiedKey servingKey() {
    return servingKey;
  }

  /** The broker CA certificate (the trust anchor clients of the server pin). */
  public X509Certificate brokerCaCertificate() {
    return brokerCa;
  }

  /** The broker policy entry that admitted this server. */
  public String policyEntry() {
    return policyEntry;
  }

  @Override
  public String toString() {
    return "Provisioning[entry=" + policyEntry + ", wrapKeys=" + wrapKeys.values() + ", serving="
        + Pem.describe(servingKey.certificate()) + "]";
  }
}
