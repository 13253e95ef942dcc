package dev.ccserve.crypto.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.junit.jupiter.api.Test;

class CertificateAuthorityTest {
  private static final Instant NOW = Instant.parse("2026-01-10T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final CertificateAuthority CA =
      CertificateAuthority.create("test CA", KeyAlgorithm.EC_P256, Duration.ofDays(30), CLOCK);

  @Test
  void create_ca_hasCaExtensions() {
    X509Certificate c = CA.certificate();
    assertThat(c.getVersion()).isEqualTo(3);
    assertThat(c.getBasicConstraints()).isEqualTo(0);
    assertThat(c.getKeyUsage()[5]).as("keyCertSign").isTrue();
    assertThat(c.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
    assertThat(c.getSubjectX500Principal().getName()).isEqualTo("CN=test CA");
  }

  @Test
  void issueServer_dnsName_hasLeafExtensionsAndDnsSanOnly() throws Exception {
    CertifiedKey leaf = CA.issueServer("grpc.tf-serving.service.com", List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(5));
    X509Certificate c = leaf.certificate();
    assertThat(c.getBasicConstraints()).isEqualTo(-1);
    assertThat(c.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
    assertThat(c.getKeyUsage()[0]).as("digitalSignature").isTrue();
    assertThat(c.getKeyUsage()[2]).as("keyEncipherment (EC: no)").isFalse();
    assertThat(c.getSubjectAlternativeNames()).containsExactly(List.of(2, "grpc.tf-serving.service.com"));
    c.verify(CA.certificate().getPublicKey());
    CertificateChecks.requireKeyMatches(leaf.privateKey(), c, "leaf");
  }

  @Test
  void issueServer_ipNameAndLocalhostAsked_hasIpAndDnsSans() throws Exception {
    X509Certificate c = CA.issueServer("127.0.0.1", List.of("localhost"), KeyAlgorithm.EC_P256, Duration.ofDays(1)).certificate();
    assertThat(c.getSubjectAlternativeNames()).containsExactly(List.of(7, "127.0.0.1"), List.of(2, "localhost"));
  }

  @Test
  void issueClient_rsa_hasClientAuthAndKeyEncipherment() throws Exception {
    X509Certificate c = CA.issueClient("client.test", List.of(), KeyAlgorithm.RSA_2048, Duration.ofDays(1)).certificate();
    assertThat(c.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertThat(c.getKeyUsage()[2]).as("keyEncipherment").isTrue();
  }

  @Test
  void issue_keyIdentifiers_linkLeafToCa() throws Exception {
    X509Certificate c = CA.issueServer("a.test", List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(1)).certificate();
    byte[] aki = AuthorityKeyIdentifier.getInstance(JcaX509ExtensionUtils.parseExtensionValue(c.getExtensionValue("2.5.29.35"))).getKeyIdentifier();
    byte[] caSki = SubjectKeyIdentifier.getInstance(JcaX509ExtensionUtils.parseExtensionValue(CA.certificate().getExtensionValue("2.5.29.14"))).getKeyIdentifier();
    assertThat(aki).isEqualTo(caSki);
    assertThat(c.getExtensionValue("2.5.29.14")).isNotNull();
  }

  @Test
  void issue_twice_randomDistinctPositiveSerials() {
    var a = CA.issueServer("a.test", List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(1)).certificate().getSerialNumber();
    var b = CA.issueServer("a.test", List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(1)).certificate().getSerialNumber();
    assertThat(a).isNotEqualTo(b);
    assertThat(a.signum()).isPositive();
    assertThat(a.bitLength()).isGreaterThan(64);
  }

  @Test
  void issue_validity_followsInjectedClockAndIsCappedByCa() {
    X509Certificate c = CA.issueServer("a.test", List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(2)).certificate();
    assertThat(c.getNotBefore().toInstant()).isEqualTo(NOW.minusSeconds(60));
    assertThat(c.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(2)));
    X509Certificate capped = CA.issueServer("a.test", List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(90)).certificate();
    assertThat(capped.getNotAfter()).isEqualTo(CA.certificate().getNotAfter());
  }

  @Test
  void issue_badSanName_throws() {
    assertThatThrownBy(() -> CA.issueServer("a.test", List.of("bad name!"), KeyAlgorithm.EC_P256, Duration.ofDays(1)))
        .hasMessageContaining("found 'bad name!'");
  }

  @Test
  void signCsr_validCsr_certifiesCsrKeyWithGivenSansAndShortValidity() throws Exception {
    KeyPair kp = KeyAlgorithm.EC_P256.generate(new SecureRandom());
    byte[] csr = Pkcs10.create(kp, "tee-server", List.of("ignored.test"));
    X509Certificate c = CA.signCsr(csr, List.of("svc.test", "10.0.0.7"), Duration.ofHours(1));
    assertThat(c.getPublicKey()).isEqualTo(kp.getPublic());
    assertThat(c.getSubjectX500Principal().getName()).isEqualTo("CN=tee-server");
    assertThat(c.getSubjectAlternativeNames()).containsExactly(List.of(2, "svc.test"), List.of(7, "10.0.0.7"));
    assertThat(c.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofHours(1)));
    assertThat(c.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
  }

  @Test
  void signCsr_flippedSignatureByte_throws() {
    KeyPair kp = KeyAlgorithm.EC_P256.generate(new SecureRandom());
    byte[] csr = Pkcs10.create(kp, "tee-server", List.of());
    csr[csr.length - 3] ^= 1;
    assertThatThrownBy(() -> CA.signCsr(csr, List.of("a.test"), Duration.ofHours(1)))
        .isInstanceOf(TlsMaterialException.class);
  }

  @Test
  void signCsr_signedByAnotherKey_refusedAsInvalidSelfSignature() throws Exception {
    KeyPair claimed = KeyAlgorithm.EC_P256.generate(new SecureRandom());
    KeyPair signer = KeyAlgorithm.EC_P256.generate(new SecureRandom());
    byte[] csr = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
        new org.bouncycastle.asn1.x500.X500Name("CN=tee-server"), claimed.getPublic())
        .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
            .build(signer.getPrivate())).getEncoded();
    assertThatThrownBy(() -> CA.signCsr(csr, List.of("a.test"), Duration.ofHours(1)))
        .isInstanceOf(TlsMaterialException.class)
        .hasMessageContaining("expected a CSR with a valid self-signature");
    // The same request signed by its own key is accepted.
    byte[] good = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
        new org.bouncycastle.asn1.x500.X500Name("CN=tee-server"), claimed.getPublic())
        .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA384withECDSA")
            .build(claimed.getPrivate())).getEncoded();
    assertThat(CA.signCsr(good, List.of("a.test"), Duration.ofHours(1)).getPublicKey())
        .isEqualTo(claimed.getPublic());
  }

  @Test
  void signCsr_garbage_throws() {
    assertThatThrownBy(() -> CA.signCsr(new byte[] {1, 2, 3}, List.of(), Duration.ofHours(1)))
        .hasMessageContaining("expected a DER PKCS#10 certificate request");
  }

  @Test
  void fromPem_roundTrip_issuesVerifiableLeaves() throws Exception {
    CertificateAuthority loaded = CertificateAuthority.fromPem(CA.certificatePem(), CA.certifiedKey().privateKeyPem(), CLOCK);
    loaded.issueServer("b.test", List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(1)).certificate()
        .verify(CA.certificate().getPublicKey());
  }

  @Test
  void fromPem_leafCertificate_throws() {
    CertifiedKey leaf = CA.issueServer("a.test", List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(1));
    assertThatThrownBy(() -> CertificateAuthority.fromPem(leaf.certificatePem(), leaf.privateKeyPem(), CLOCK))
        .hasMessageContaining("expected a CA certificate");
  }

  @Test
  void fromPem_otherKey_throwsKeyMismatch() {
    CertifiedKey leaf = CA.issueServer("a.test", List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(1));
    assertThatThrownBy(() -> CertificateAuthority.fromPem(CA.certificatePem(), leaf.privateKeyPem(), CLOCK))
        .hasMessageContaining("does not match the public key");
  }

  @Test
  void fromPem_expiredCa_throws() {
    Clock later = Clock.fixed(NOW.plus(Duration.ofDays(31)), ZoneOffset.UTC);
    assertThatThrownBy(() -> CertificateAuthority.fromPem(CA.certificatePem(), CA.certifiedKey().privateKeyPem(), later))
        .hasMessageContaining("expired at");
  }

  @Test
  void toString_namesCaWithoutKey() {
    assertThat(CA.toString()).contains("CN=test CA").doesNotContain("PRIVATE");
    assertThat(CA.certifiedKey().toString()).doesNotContain("PRIVATE");
  }
}
