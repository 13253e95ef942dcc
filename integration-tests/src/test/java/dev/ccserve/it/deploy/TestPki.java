package dev.ccserve.it.deploy;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Throw-away TLS identities for deploy tests: a fresh EC P-256 key and a self-signed leaf
 * certificate (SAN = the given DNS names + 127.0.0.1), written as PEM for nginx/curl/grpc-java
 * and usable as JSSE contexts. Test-only; the private key never leaves the temp directory.
 */
final class TestPki {

  /** One identity: certificate, key pair and the PEM files written for it. */
  record Identity(X509Certificate certificate, KeyPair keyPair, Path certPem, Path keyPem) {

    SSLContext serverContext() throws GeneralSecurityException, IOException {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("leaf", keyPair.getPrivate(), new char[0], new X509Certificate[] {certificate});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return ctx;
    }
  }

  private TestPki() {}

  static Identity selfSigned(Path dir, String commonName, String... dnsNames)
      throws GeneralSecurityException, IOException {
    try {
      KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
      kpg.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair kp = kpg.generateKeyPair();
      Instant now = Instant.now();
      X500Name subject = new X500Name("CN=" + commonName);
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject,
          new BigInteger(64, new java.security.SecureRandom()), Date.from(now.minus(Duration.ofMinutes(5))),
          Date.from(now.plus(Duration.ofDays(1))), subject, kp.getPublic());
      List<GeneralName> names = new ArrayList<>();
      for (String dns : dnsNames) {
        names.add(new GeneralName(GeneralName.dNSName, dns));
      }
      names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
      b.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(names.toArray(GeneralName[]::new)));
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
      Path certPem = dir.resolve(commonName + ".crt.pem");
      Path keyPem = dir.resolve(commonName + ".key.pem");
      Files.writeString(certPem, pem(cert));
      Files.writeString(keyPem, pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(kp.getPrivate(), null)));
      return new Identity(cert, kp, certPem, keyPem);
    } catch (org.bouncycastle.operator.OperatorCreationException e) {
      throw new GeneralSecurityException("expected to sign a test certificate; signer creation failed", e);
    }
  }

  /** A client context that trusts exactly the given certificates (and nothing else). */
  static SSLContext trusting(X509Certificate... certs) throws GeneralSecurityException, IOException {
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    for (int i = 0; i < certs.length; i++) {
      ts.setCertificateEntry("trusted-" + i, certs[i]);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  private static String pem(Object o) throws IOException {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(o);
    }
    return sw.toString();
  }
}
