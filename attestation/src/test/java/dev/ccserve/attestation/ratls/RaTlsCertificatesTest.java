package dev.ccserve.attestation.ratls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.detect.EvidenceSniffer;
import dev.ccserve.attestation.snp.FakeAmd;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.junit.jupiter.api.Test;

class RaTlsCertificatesTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-03-01T12:00:00.750Z"), ZoneOffset.UTC);

  @Test
  void create_sgxProvider_gramineLayoutWithBothExtensions() throws Exception {
    SgxShapedProvider provider = new SgxShapedProvider();
    KeyPair kp = RaTlsCertificates.generateP384();

    X509Certificate cert = RaTlsCertificates.create(kp, provider, null, CLOCK);

    // DER order CN, O, C as mbedtls writes it (X500Principal.getName() would print it reversed)
    assertThat(org.bouncycastle.asn1.x500.X500Name.getInstance(cert.getSubjectX500Principal().getEncoded()))
        .hasToString("CN=RATLS,O=GramineDevelopers,C=US");
    assertThat(cert.getIssuerX500Principal()).isEqualTo(cert.getSubjectX500Principal());
    assertThat(cert.getSerialNumber()).isEqualTo(1);
    assertThat(cert.getSigAlgName()).isEqualTo("SHA256withECDSA");
    assertThat(cert.getBasicConstraints()).isEqualTo(-1);
    assertThat(cert.getNotBefore().toInstant()).isEqualTo(Instant.parse("2026-03-01T11:59:00Z"));
    assertThat(cert.getNotAfter().toInstant()).isEqualTo(Instant.parse("2026-03-02T11:59:00Z"));
    byte[] ski = SubjectKeyIdentifier.getInstance(octets(cert, "2.5.29.14")).getKeyIdentifier();
    byte[] aki = AuthorityKeyIdentifier.getInstance(octets(cert, "2.5.29.35")).getKeyIdentifier();
    assertThat(aki).isEqualTo(ski).hasSize(20);
    assertThat(cert.getNonCriticalExtensionOIDs())
        .contains(RaTlsOids.TCG_DICE_TAGGED_EVIDENCE, RaTlsOids.LEGACY_GRAMINE_QUOTE);
    cert.verify(kp.getPublic());
    assertThat(provider.reportDataSeen).as("one quote per extension, like Gramine").hasSize(2);
  }

  @Test
  void create_sgxProvider_legacyQuoteBindsSha256OfSpki() throws Exception {
    KeyPair kp = RaTlsCertificates.generateP384();
    X509Certificate cert = RaTlsCertificates.create(kp, new SgxShapedProvider(), null, CLOCK);

    byte[] legacy = octets(cert, RaTlsOids.LEGACY_GRAMINE_QUOTE);
    byte[] rd = EvidenceSniffer.reportData(EvidenceFormat.SGX_QUOTE_V3, legacy).orElseThrow();

    byte[] spkiHash = MessageDigest.getInstance("SHA-256").digest(kp.getPublic().getEncoded());
    assertThat(Arrays.copyOf(rd, 32)).isEqualTo(spkiHash);
    assertThat(Arrays.copyOfRange(rd, 32, 64)).isEqualTo(new byte[32]);
  }

  @Test
  void create_tcgExtension_exactGramineCborLayout() throws Exception {
    KeyPair kp = RaTlsCertificates.generateP384();
    X509Certificate cert = RaTlsCertificates.create(kp, new SgxShapedProvider(), null, CLOCK);

    byte[] tcg = octets(cert, RaTlsOids.TCG_DICE_TAGGED_EVIDENCE);
    byte[] spkiHash = MessageDigest.getInstance("SHA-256").digest(kp.getPublic().getEncoded());
    String claimsHex = "a1" + "6b" + HexFormat.of().formatHex("pubkey-hash".getBytes()) + "5824" + "82015820"
        + HexFormat.of().formatHex(spkiHash);

    String hex = HexFormat.of().formatHex(tcg);
    assertThat(hex).startsWith("d9ea6082" + "59044c"); // tag 60000, array(2), bstr(1100)
    assertThat(hex).endsWith("5833" + claimsHex); // bstr(51) claims
    byte[] rd = EvidenceSniffer.reportData(EvidenceFormat.SGX_QUOTE_V3, Arrays.copyOfRange(tcg, 7, 7 + 1100)).orElseThrow();
    byte[] claimsHash = MessageDigest.getInstance("SHA-256").digest(HexFormat.of().parseHex(claimsHex));
    assertThat(Arrays.copyOf(rd, 32)).isEqualTo(claimsHash);
  }

  @Test
  void create_withNonce_nonceClaimExtracted() throws Exception {
    byte[] nonce = HexFormat.of().parseHex("00112233445566778899aabbccddeeff");
    X509Certificate cert =
        RaTlsCertificates.create(RaTlsCertificates.generateP384(), new SgxShapedProvider(), nonce, CLOCK);

    RaTlsEvidence ev = RaTlsEvidenceExtractor.extract(cert);

    assertThat(ev.source()).isEqualTo(RaTlsEvidence.Source.TCG_DICE);
    assertThat(ev.nonce()).hasValueSatisfying(n -> assertThat(n).isEqualTo(nonce));
    assertThat(ev.evidence().format()).isEqualTo(EvidenceFormat.SGX_QUOTE_V3);
  }

  @Test
  void create_snpProvider_tcgOnlyWithRawReport() throws Exception {
    FakeAmd amd = FakeAmd.shared();
    X509Certificate cert =
        RaTlsCertificates.create(RaTlsCertificates.generateP384(), amd.provider(), new byte[] {7}, CLOCK);

    RaTlsEvidence ev = RaTlsEvidenceExtractor.extract(cert);

    assertThat(cert.getExtensionValue(RaTlsOids.LEGACY_GRAMINE_QUOTE)).isNull();
    assertThat(ev.evidence().format()).isEqualTo(EvidenceFormat.SNP_REPORT);
  }

  @Test
  void create_rsaKey_rejected() throws Exception {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    KeyPair rsa = g.generateKeyPair();

    assertThatThrownBy(() -> RaTlsCertificates.create(rsa, new SgxShapedProvider(), null, CLOCK, Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void create_p256Key_extractsWithKeyBinding() throws Exception {
    KeyPair kp = RaTlsCertificates.KeyCurve.P256.generate();
    X509Certificate cert = RaTlsCertificates.create(kp, new SgxShapedProvider(), new byte[] {9}, CLOCK);

    cert.verify(kp.getPublic());
    RaTlsEvidence ev = RaTlsEvidenceExtractor.extract(cert);
    assertThat(ev.evidence().format()).isEqualTo(EvidenceFormat.SGX_QUOTE_V3);
    assertThat(((java.security.interfaces.ECPublicKey) cert.getPublicKey()).getParams().getCurve()
        .getField().getFieldSize()).isEqualTo(256);
  }

  @Test
  void create_p521Key_rejected() throws Exception {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
    g.initialize(new java.security.spec.ECGenParameterSpec("secp521r1"));
    KeyPair p521 = g.generateKeyPair();

    assertThatThrownBy(() -> RaTlsCertificates.create(p521, new SgxShapedProvider(), null, CLOCK))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("P-256 or P-384");
  }

  @Test
  void keyManager_p256Curve_regeneratesOnP256() throws Exception {
    RaTlsKeyManager km = RaTlsKeyManager.create(new SgxShapedProvider(), CLOCK, new byte[] {1},
        Duration.ofHours(1), RaTlsCertificates.KeyCurve.P256);
    X509Certificate first = km.certificate();
    X509Certificate second = km.regenerate(new byte[] {2});
    for (X509Certificate c : new X509Certificate[] {first, second}) {
      assertThat(((java.security.interfaces.ECPublicKey) c.getPublicKey()).getParams().getCurve()
          .getField().getFieldSize()).isEqualTo(256);
    }
    assertThat(second.getPublicKey()).isNotEqualTo(first.getPublicKey());
  }

  static byte[] octets(X509Certificate cert, String oid) {
    return ASN1OctetString.getInstance(cert.getExtensionValue(oid)).getOctets();
  }
}
