package dev.ccserve.crypto.tls;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * A small certificate authority for TLS: creates a self-signed CA (EC P-256 by default, RSA on
 * request) or loads one from PEM, and issues server and client leaves and CSR-based certificates.
 *
 * <p>Every certificate is X.509 v3 with a random 127-bit serial, SKI and AKI; CA certificates carry
 * critical {@code basicConstraints CA:TRUE, pathlen 0} and {@code keyCertSign, cRLSign}; leaves
 * carry critical {@code CA:FALSE}, {@code digitalSignature} (+ {@code keyEncipherment} for RSA),
 * the EKU of their {@link CertificateProfile} and subjectAltNames (DNS, or IP for IP literals).
 * Validity starts one minute before the injected clock's instant (tolerating small skew) and never
 * extends past the CA's own expiry. Thread-safe: issuing only reads immutable state.
 */
public final class CertificateAuthority {
  static final Duration BACKDATE = Duration.ofMinutes(1);

  private final CertifiedKey ca;
  private final Clock clock;
  private final SecureRandom random;

  private CertificateAuthority(CertifiedKey ca, Clock clock, SecureRandom random) {
    this.ca = ca;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
  }

  /** Creates a new self-signed CA named {@code CN=commonName}. */
  public static CertificateAuthority create(
      String commonName, KeyAlgorithm algorithm, Duration validity, Clock clock) {
    SecureRandom random = new SecureRandom();
    KeyPair kp = algorithm.generate(random);
    X500Name name = cn(commonName);
    Instant now = clock.instant();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              name, serial(random), Date.from(now.minus(BACKDATE)), Date.from(now.plus(positive(validity))),
              name, kp.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(kp.getPublic()));
      X509Certificate cert = sign(b, kp.getPrivate());
      return new CertificateAuthority(new CertifiedKey(kp.getPrivate(), List.of(cert)), clock, random);
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new TlsMaterialException("cannot create CA certificate for '" + commonName + "'", e);
    }
  }

  /**
   * Loads a CA from PEM text; checks that the key matches, that the certificate is a CA
   * (basicConstraints CA:TRUE) and that it is valid at the clock's instant.
   */
  public static CertificateAuthority fromPem(String certificatePem, String privateKeyPem, Clock clock) {
    X509Certificate cert = Pem.readCertificate(certificatePem);
    PrivateKey key = Pem.readPrivateKey(privateKeyPem);
    CertificateChecks.requireKeyMatches(key, cert, "CA");
    if (cert.getBasicConstraints() < 0) {
      throw new TlsMaterialException(
          "expected a CA certificate (basicConstraints CA:TRUE), found a leaf " + Pem.describe(cert));
    }
    boolean[] ku = cert.getKeyUsage();
    if (ku != null && !ku[5]) {
      throw new TlsMaterialException(
          "expected a CA certificate with keyUsage keyCertSign, found " + Pem.describe(cert) + " without it");
    }
    CertificateChecks.requireValid(List.of(cert), clock, "CA");
    return new CertificateAuthority(new CertifiedKey(key, List.of(cert)), clock, new SecureRandom());
  }

  public X509Certificate certificate() {
    return ca.certificate();
  }

  public String certificatePem() {
    return ca.certificatePem();
  }

  /** The CA's key and certificate; its key PEM is what {@code ca_key.pem} holds. */
  public CertifiedKey certifiedKey() {
    return ca;
  }

  /**
   * Issues a server leaf with a fresh key. The SANs are {@code commonName} (when it is a host name
   * or IP address) followed by {@code extraNames}; {@code localhost} is included only if listed.
   */
  public CertifiedKey issueServer(
      String commonName, List<String> extraNames, KeyAlgorithm algorithm, Duration validity) {
    return issue(commonName, extraNames, algorithm, validity, CertificateProfile.SERVER);
  }

  /** Issues a client leaf with a fresh key (EKU clientAuth), SANs as for {@link #issueServer}. */
  public CertifiedKey issueClient(
      String commonName, List<String> extraNames, KeyAlgorithm algorithm, Duration validity) {
    return issue(commonName, extraNames, algorithm, validity, CertificateProfile.CLIENT);
  }

  /** Issues a leaf with a fresh key for {@code profile}. */
  public CertifiedKey issue(
      String commonName, List<String> extraNames, KeyAlgorithm algorithm, Duration validity,
      CertificateProfile profile) {
    KeyPair kp = algorithm.generate(random);
    List<String> sans = new ArrayList<>();
    if (SubjectAltNames.isIpLiteral(commonName) || SubjectAltNames.isDnsName(commonName)) {
      sans.add(commonName);
    }
    sans.addAll(extraNames);
    X509Certificate cert = issueFor(cn(commonName), kp.getPublic(), sans, validity, profile);
    return new CertifiedKey(kp.getPrivate(), List.of(cert));
  }

  /**
   * Signs a PKCS#10 CSR as a server certificate: the subject and public key come from the CSR
   * (whose self-signature is checked), the SANs from {@code sans} (the CSR's requested extensions
   * are ignored: the caller decides the names). With no SANs the CSR's CN is used when it is a
   * host name.
   */
  public X509Certificate signCsr(byte[] pkcs10Der, List<String> sans, Duration validity) {
    return signCsr(pkcs10Der, sans, validity, CertificateProfile.SERVER);
  }

  /**
   * Checks the CSR's signature over its CertificationRequestInfo with the JCA directly: one
   * verification (BouncyCastle's content-verifier path ran the check twice per CSR).
   */
  private static boolean selfSignatureValid(JcaPKCS10CertificationRequest csr, PublicKey key)
      throws java.io.IOException, java.security.GeneralSecurityException {
    String alg = new org.bouncycastle.operator.DefaultAlgorithmNameFinder()
        .getAlgorithmName(csr.getSignatureAlgorithm());
    java.security.Signature sig = java.security.Signature.getInstance(alg);
    sig.initVerify(key);
    sig.update(csr.toASN1Structure().getCertificationRequestInfo().getEncoded(
        org.bouncycastle.asn1.ASN1Encoding.DER));
    return sig.verify(csr.getSignature());
  }

  /** As {@link #signCsr(byte[], List, Duration)} with an explicit profile. */
  public X509Certificate signCsr(
      byte[] pkcs10Der, List<String> sans, Duration validity, CertificateProfile profile) {
    JcaPKCS10CertificationRequest csr;
    PublicKey key;
    try {
      csr = new JcaPKCS10CertificationRequest(new PKCS10CertificationRequest(pkcs10Der));
      key = csr.getPublicKey();
      if (!selfSignatureValid(csr, key)) {
        throw new TlsMaterialException("expected a CSR with a valid self-signature, found an invalid signature");
      }
    } catch (TlsMaterialException e) {
      throw e;
    } catch (Exception e) {
      throw new TlsMaterialException("expected a DER PKCS#10 certificate request, found unparsable data ("
          + pkcs10Der.length + " bytes)", e);
    }
    List<String> names = new ArrayList<>(sans);
    if (names.isEmpty()) {
      var cns = csr.getSubject().getRDNs(BCStyle.CN);
      if (cns.length > 0) {
        String cn = IETFUtils.valueToString(cns[0].getFirst().getValue());
        if (SubjectAltNames.isDnsName(cn) || SubjectAltNames.isIpLiteral(cn)) {
          names.add(cn);
        }
      }
    }
    return issueFor(csr.getSubject(), key, names, validity, profile);
  }

  private X509Certificate issueFor(
      X500Name subject, PublicKey key, List<String> sans, Duration validity, CertificateProfile profile) {
    Instant now = clock.instant();
    Instant notAfter = now.plus(positive(validity));
    Instant caNotAfter = ca.certificate().getNotAfter().toInstant();
    if (notAfter.isAfter(caNotAfter)) {
      notAfter = caNotAfter;
    }
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              ca.certificate(), serial(random), Date.from(now.minus(BACKDATE)), Date.from(notAfter),
              subject, key);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      int usage = KeyUsage.digitalSignature | (key.getAlgorithm().equals("RSA") ? KeyUsage.keyEncipherment : 0);
      b.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
      b.addExtension(Extension.extendedKeyUsage, false, eku(profile));
      if (!sans.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false, SubjectAltNames.toGeneralNames(sans));
      }
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.certificate()));
      return sign(b, ca.privateKey());
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new TlsMaterialException("cannot issue certificate for '" + subject + "'", e);
    }
  }

  private static ExtendedKeyUsage eku(CertificateProfile profile) {
    return switch (profile) {
      case SERVER -> new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth);
      case CLIENT -> new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth);
      case SERVER_AND_CLIENT -> new ExtendedKeyUsage(
          new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth});
    };
  }

  static X500Name cn(String commonName) {
    if (commonName == null || commonName.isBlank()) {
      throw new TlsMaterialException("expected a non-empty common name, found an empty one");
    }
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
  }

  private static Duration positive(Duration validity) {
    if (validity == null || validity.isNegative() || validity.isZero()) {
      throw new TlsMaterialException("expected a positive validity, found " + validity);
    }
    return validity;
  }

  private static BigInteger serial(SecureRandom random) {
    return new BigInteger(127, random).setBit(126);
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
      throws GeneralSecurityException {
    try {
      ContentSigner signer = new JcaContentSignerBuilder(KeyAlgorithm.signatureAlgorithmFor(key)).build(key);
      return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    } catch (org.bouncycastle.operator.OperatorCreationException e) {
      throw new GeneralSecurityException("cannot create a signer", e);
    }
  }

  @Override
  public String toString() {
    return "CertificateAuthority[" + Pem.describe(ca.certificate()) + "]";
  }
}
