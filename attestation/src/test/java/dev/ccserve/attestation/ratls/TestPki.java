package dev.ccserve.attestation.ratls;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throw-away test PKI: an EC CA and leaves with DNS SANs; JSSE key and trust managers. */
final class TestPki {
  final KeyPair caKeys = ec("secp256r1");
  final X509Certificate ca;

  TestPki() throws Exception {
    ca = issue("CN=test-ca", caKeys, caKeys, "CN=test-ca", null, true);
  }

  static KeyPair ec(String curve) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec(curve));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A leaf for {@code dnsName} signed by the CA; returns a KeyManagerFactory-ready key store. */
  KeyStore leafKeyStore(String dnsName) throws Exception {
    KeyPair leaf = ec("secp256r1");
    X509Certificate cert = issue("CN=" + dnsName, leaf, caKeys, "CN=test-ca", dnsName, false);
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("leaf", leaf.getPrivate(), "pw".toCharArray(), new X509Certificate[] {cert, ca});
    return ks;
  }

  KeyManagerFactory keyManagers(String dnsName) throws Exception {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
    kmf.init(leafKeyStore(dnsName), "pw".toCharArray());
    return kmf;
  }

  /** The JDK PKIX trust manager trusting only this CA. */
  X509ExtendedTrustManager pkixTrust() throws Exception {
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(ts);
    for (TrustManager tm : tmf.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) {
        return x;
      }
    }
    throw new IllegalStateException("no X509ExtendedTrustManager");
  }

  static X509Certificate issue(
      String subject, KeyPair subjectKeys, KeyPair issuerKeys, String issuer, String dns, boolean ca) throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
        new X500Name(issuer), BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minusSeconds(3600)),
        Date.from(now.plusSeconds(86400)), new X500Name(subject), subjectKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    if (dns != null) {
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, dns)));
    }
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
  }

  /**
   * A self-signed certificate for {@code keys} in Gramine's name layout carrying the given raw
   * extension contents (OID to extnValue content).
   */
  static X509Certificate selfSigned(KeyPair keys, Map<String, byte[]> extensions) throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    X500Name name = new X500Name(RaTlsCertificates.SUBJECT);
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
        name, BigInteger.ONE, Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(86400)), name, keys.getPublic());
    b.addExtension(Extension.basicConstraints, false, new BasicConstraints(false));
    for (Map.Entry<String, byte[]> e : extensions.entrySet()) {
      b.addExtension(new ASN1ObjectIdentifier(e.getKey()), false, e.getValue());
    }
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
  }
}
