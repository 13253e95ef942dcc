package dev.ccserve.attestation.simulated;

import dev.ccserve.attestation.dcap.PckExtension;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The simulated TEE's keys and certificates, persisted in one directory (keys mode 0600): a root
 * CA named "SIMULATED - NOT INTEL", a PCK CA, a PCK leaf with a real SGX extension, a TCB signing
 * certificate, and the QE attestation key. Created once, then reloaded.
 */
final class SimulatedPki {
  static final String NAME_PREFIX = "SIMULATED - NOT INTEL";
  static final String ORG = "O=ccserve INSECURE simulated TEE";
  static final byte[] FMSPC = HexFormat.of().parseHex("00C0FFEE0000");
  static final int[] COMPONENT_SVNS = {2, 2, 2, 2, 3, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0};
  static final int PCE_SVN = 13;

  final PrivateKey rootKey;
  final X509Certificate root;
  final PrivateKey pckCaKey;
  final X509Certificate pckCa;
  final PrivateKey pckKey;
  final X509Certificate pck;
  final PrivateKey tcbSigningKey;
  final X509Certificate tcbSigning;
  final PrivateKey attestationKey;
  final PublicKey attestationPublicKey;

  private SimulatedPki(PrivateKey rootKey, X509Certificate root, PrivateKey pckCaKey,
      X509Certificate pckCa, PrivateKey pckKey, X509Certificate pck, PrivateKey tcbSigningKey,
      X509Certificate tcbSigning, PrivateKey attestationKey, PublicKey attestationPublicKey) {
    this.rootKey = rootKey;
    this.root = root;
    this.pckCaKey = pckCaKey;
    this.pckCa = pckCa;
    this.pckKey = pckKey;
    this.pck = pck;
    this.tcbSigningKey = tcbSigningKey;
    this.tcbSigning = tcbSigning;
    this.attestationKey = attestationKey;
    this.attestationPublicKey = attestationPublicKey;
  }

  static boolean exists(Path dir) {
    return Files.exists(dir.resolve("root.pem"));
  }

  static SimulatedPki load(Path dir) throws IOException {
    X509Certificate att = KeyFiles.readCert(dir.resolve("attestation.pem"));
    return new SimulatedPki(
        KeyFiles.readPrivate(dir.resolve("root.key")), KeyFiles.readCert(dir.resolve("root.pem")),
        KeyFiles.readPrivate(dir.resolve("pck-ca.key")), KeyFiles.readCert(dir.resolve("pck-ca.pem")),
        KeyFiles.readPrivate(dir.resolve("pck.key")), KeyFiles.readCert(dir.resolve("pck.pem")),
        KeyFiles.readPrivate(dir.resolve("tcb-signing.key")),
        KeyFiles.readCert(dir.resolve("tcb-signing.pem")),
        KeyFiles.readPrivate(dir.resolve("attestation.key")), att.getPublicKey());
  }

  static SimulatedPki create(Path dir, Instant now) throws IOException, GeneralSecurityException {
    Files.createDirectories(dir);
    try {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    } catch (UnsupportedOperationException e) {
      // non-POSIX file system: rely on its defaults
    }
    Instant from = now.minus(Duration.ofDays(1));
    Instant to = now.plus(Duration.ofDays(3650));
    KeyPair rootKp = ecKey();
    X500Name rootName = new X500Name("CN=" + NAME_PREFIX + " Root CA," + ORG);
    X509Certificate root = cert(rootName, rootKp, rootName, rootKp.getPrivate(), from, to, 1, null);
    KeyPair caKp = ecKey();
    X500Name caName = new X500Name("CN=" + NAME_PREFIX + " SGX PCK Processor CA," + ORG);
    X509Certificate ca = cert(caName, caKp, rootName, rootKp.getPrivate(), from, to, 0, null);
    KeyPair pckKp = ecKey();
    byte[] cpuSvn = new byte[16];
    for (int i = 0; i < 16; i++) {
      cpuSvn[i] = (byte) COMPONENT_SVNS[i];
    }
    PckExtension ext = new PckExtension(new byte[16], COMPONENT_SVNS, PCE_SVN, cpuSvn,
        new byte[2], FMSPC, 0);
    X509Certificate pck = cert(new X500Name("CN=" + NAME_PREFIX + " SGX PCK Certificate," + ORG),
        pckKp, caName, caKp.getPrivate(), from, to, -1, ext.encode());
    KeyPair tcbKp = ecKey();
    X509Certificate tcb = cert(new X500Name("CN=" + NAME_PREFIX + " SGX TCB Signing," + ORG), tcbKp,
        rootName, rootKp.getPrivate(), from, to, -1, null);
    KeyPair attKp = ecKey();
    // The attestation key is held in a self-signed certificate only to persist its public half.
    X500Name attName = new X500Name("CN=" + NAME_PREFIX + " attestation key," + ORG);
    X509Certificate att = cert(attName, attKp, attName, attKp.getPrivate(), from, to, -1, null);
    KeyFiles.writePrivate(dir.resolve("root.key"), rootKp.getPrivate());
    KeyFiles.writePrivate(dir.resolve("pck-ca.key"), caKp.getPrivate());
    KeyFiles.writePrivate(dir.resolve("pck.key"), pckKp.getPrivate());
    KeyFiles.writePrivate(dir.resolve("tcb-signing.key"), tcbKp.getPrivate());
    KeyFiles.writePrivate(dir.resolve("attestation.key"), attKp.getPrivate());
    KeyFiles.writeCert(dir.resolve("pck-ca.pem"), ca);
    KeyFiles.writeCert(dir.resolve("pck.pem"), pck);
    KeyFiles.writeCert(dir.resolve("tcb-signing.pem"), tcb);
    KeyFiles.writeCert(dir.resolve("attestation.pem"), att);
    Files.writeString(dir.resolve("README.txt"),
        "INSECURE simulated TEE material generated by ccserve. It proves nothing about hardware.\n"
            + "Trust root.pem only in development and tests.\n");
    KeyFiles.writeCert(dir.resolve("root.pem"), root); // written last: marks completion
    return new SimulatedPki(rootKp.getPrivate(), root, caKp.getPrivate(), ca, pckKp.getPrivate(),
        pck, tcbKp.getPrivate(), tcb, attKp.getPrivate(), attKp.getPublic());
  }

  private static KeyPair ecKey() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
    return g.generateKeyPair();
  }

  /** pathLen >= 0 makes a CA with that path length; -1 an end entity. */
  private static X509Certificate cert(X500Name subject, KeyPair kp, X500Name issuer,
      PrivateKey issuerKey, Instant from, Instant to, int pathLen, byte[] sgxExtension)
      throws GeneralSecurityException {
    BigInteger serial = new BigInteger(128, new SecureRandom());
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, serial, Date.from(from),
        Date.from(to), subject, kp.getPublic());
    try {
      if (pathLen >= 0) {
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(pathLen));
        b.addExtension(Extension.keyUsage, true,
            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true,
            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
      }
      if (sgxExtension != null) {
        b.addExtension(new ASN1ObjectIdentifier(PckExtension.OID), false, sgxExtension);
      }
      return new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    } catch (OperatorCreationException | IOException e) {
      throw new GeneralSecurityException("cannot build simulated certificate", e);
    }
  }
}
