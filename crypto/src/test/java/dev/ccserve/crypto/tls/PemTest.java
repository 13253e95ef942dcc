package dev.ccserve.crypto.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.junit.jupiter.api.Test;

class PemTest {
  private static final Clock CLOCK = Clock.systemUTC();

  @Test
  void readPrivateKey_pkcs8Ec_roundTrips() {
    KeyPair kp = KeyAlgorithm.EC_P256.generate(new SecureRandom());
    String pem = Pem.encodePrivateKey(kp.getPrivate());
    assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----\n");
    assertThat(Pem.readPrivateKey(pem).getEncoded()).isEqualTo(kp.getPrivate().getEncoded());
  }

  @Test
  void readPrivateKey_sec1EcBlock_readsSameKey() throws Exception {
    KeyPair kp = KeyAlgorithm.EC_P256.generate(new SecureRandom());
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(kp.getPrivate().getEncoded());
    byte[] sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256,
        ((java.security.interfaces.ECPrivateKey) kp.getPrivate()).getS(),
        info.getPrivateKeyAlgorithm().getParameters()).getEncoded();
    PrivateKey read = Pem.readPrivateKey(Pem.encode(Pem.EC_PRIVATE_KEY, sec1));
    assertThat(read.getAlgorithm()).isEqualTo("EC");
    CertificateAuthority ca = CertificateAuthority.create("t", KeyAlgorithm.EC_P256, Duration.ofDays(1), CLOCK);
    // the read key must sign like the original: check against a certificate for the original key
    X509Certificate cert = ca.signCsr(Pkcs10.create(kp, "x.test", List.of()), List.of("x.test"), Duration.ofDays(1));
    CertificateChecks.requireKeyMatches(read, cert, "test");
  }

  @Test
  void readPrivateKey_pkcs1RsaBlock_readsSameKey() throws Exception {
    KeyPair kp = KeyAlgorithm.RSA_2048.generate(new SecureRandom());
    byte[] pkcs1 = PrivateKeyInfo.getInstance(kp.getPrivate().getEncoded()).parsePrivateKey().toASN1Primitive().getEncoded();
    PrivateKey read = Pem.readPrivateKey(Pem.encode(Pem.RSA_PRIVATE_KEY, pkcs1));
    assertThat(read.getAlgorithm()).isEqualTo("RSA");
    assertThat(((java.security.interfaces.RSAPrivateKey) read).getModulus())
        .isEqualTo(((java.security.interfaces.RSAPrivateKey) kp.getPrivate()).getModulus());
  }

  @Test
  void readPrivateKey_certificateBlock_throwsNamingBothLabels() {
    CertificateAuthority ca = CertificateAuthority.create("t", KeyAlgorithm.EC_P256, Duration.ofDays(1), CLOCK);
    assertThatThrownBy(() -> Pem.readPrivateKey(ca.certificatePem()))
        .isInstanceOf(TlsMaterialException.class)
        .hasMessage("expected a PEM 'PRIVATE KEY' block, found 'CERTIFICATE'");
  }

  @Test
  void readCertificates_keyBlock_throwsWithoutKeyBytes() {
    KeyPair kp = KeyAlgorithm.EC_P256.generate(new SecureRandom());
    String body = Base64.getEncoder().encodeToString(kp.getPrivate().getEncoded());
    assertThatThrownBy(() -> Pem.readCertificates(Pem.encodePrivateKey(kp.getPrivate())))
        .hasMessage("expected a PEM 'CERTIFICATE' block, found 'PRIVATE KEY'")
        .message().doesNotContain(body.substring(0, 20));
  }

  @Test
  void readPrivateKey_encryptedKey_throws() {
    assertThatThrownBy(() -> Pem.readPrivateKey(Pem.encode("ENCRYPTED PRIVATE KEY", new byte[] {48, 0})))
        .hasMessageContaining("found 'ENCRYPTED PRIVATE KEY'");
  }

  @Test
  void decodeAll_seedOneLineFormWithLiteralEscapes_reads() {
    CertificateAuthority ca = CertificateAuthority.create("t", KeyAlgorithm.EC_P256, Duration.ofDays(1), CLOCK);
    String oneLine = Pem.toEscapedOneLine(ca.certificatePem());
    assertThat(oneLine).matches("-----BEGIN CERTIFICATE-----\\\\n[A-Za-z0-9+/=]+\\\\n-----END CERTIFICATE-----");
    assertThat(Pem.readCertificate(oneLine)).isEqualTo(ca.certificate());
    // after text-format unescaping: real newlines, one long base64 line
    assertThat(Pem.readCertificate(oneLine.replace("\\n", "\n"))).isEqualTo(ca.certificate());
  }

  @Test
  void decodeAll_crlfAndChain_readsInOrder() {
    CertificateAuthority ca = CertificateAuthority.create("t", KeyAlgorithm.EC_P256, Duration.ofDays(1), CLOCK);
    CertifiedKey leaf = ca.issueServer("a.test", List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(1));
    String chain = (leaf.certificatePem() + ca.certificatePem()).replace("\n", "\r\n");
    assertThat(Pem.readCertificates(chain)).containsExactly(leaf.certificate(), ca.certificate());
  }

  @Test
  void decodeAll_noPem_throws() {
    assertThatThrownBy(() -> Pem.decodeAll("hello")).hasMessageContaining("found none in 5 characters");
    assertThatThrownBy(() -> Pem.decodeAll("")).hasMessageContaining("empty");
  }

  @Test
  void decodeAll_badBase64_throws() {
    assertThatThrownBy(() -> Pem.decodeAll("-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----"))
        .hasMessageContaining("not valid base64");
  }

  @Test
  void decodeAll_mismatchedEnd_throws() {
    assertThatThrownBy(() -> Pem.decodeAll("-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----"))
        .hasMessageContaining("closed by 'END PRIVATE KEY'");
  }

  @Test
  void readCertificate_corruptedDer_throws() {
    assertThatThrownBy(() -> Pem.readCertificate(Pem.encode(Pem.CERTIFICATE, new byte[] {48, 3, 2, 1, 1})))
        .hasMessageContaining("is not a valid X.509 certificate");
  }

  @Test
  void pemBlock_toString_hidesBytes() {
    assertThat(new PemBlock("PRIVATE KEY", new byte[] {1, 2, 3}).toString()).isEqualTo("PemBlock[PRIVATE KEY, 3 bytes]");
  }
}
