package dev.ccserve.attestation.ratls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.io.ByteArrayOutputStream;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hand-built certificates in Gramine's exact layout, and binding failures. */
class RaTlsEvidenceExtractorTest {

  static byte[] sha256(byte[] b) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(b);
  }

  static byte[] rd(byte[] first32) {
    return Arrays.copyOf(first32, 64);
  }

  /** Gramine's claims buffer, byte by byte: A1 6B "pubkey-hash" 58 24 82 <alg> 58 <len> hash. */
  static byte[] gramineClaims(int alg, byte[] hash) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.write(0xA1);
    o.write(0x6B);
    o.writeBytes("pubkey-hash".getBytes());
    o.write(0x58);
    o.write(4 + hash.length);
    o.write(0x82);
    o.write(alg);
    o.write(0x58);
    o.write(hash.length);
    o.writeBytes(hash);
    return o.toByteArray();
  }

  /** D9 EA 60 82 59 <len16> quote 58 <len> claims. */
  static byte[] tcgValue(byte[] quote, byte[] claims) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.writeBytes(new byte[] {(byte) 0xD9, (byte) 0xEA, 0x60, (byte) 0x82, 0x59});
    o.write(quote.length >>> 8);
    o.write(quote.length & 0xFF);
    o.writeBytes(quote);
    o.write(0x58);
    o.write(claims.length);
    o.writeBytes(claims);
    return o.toByteArray();
  }

  @Test
  void extract_gramineLegacyOnly_parsesAndBinds() throws Exception {
    KeyPair kp = RaTlsCertificates.generateP384();
    byte[] quote = SgxShapedProvider.quote(rd(sha256(kp.getPublic().getEncoded())));
    X509Certificate cert = TestPki.selfSigned(kp, Map.of(RaTlsOids.LEGACY_GRAMINE_QUOTE, quote));

    RaTlsEvidence ev = RaTlsEvidenceExtractor.extract(cert);

    assertThat(ev.source()).isEqualTo(RaTlsEvidence.Source.LEGACY_GRAMINE);
    assertThat(ev.evidence().bytes()).isEqualTo(quote);
    assertThat(ev.nonce()).isEmpty();
  }

  @Test
  void extract_legacyOidEncoding_matchesGramineBytes() throws Exception {
    KeyPair kp = RaTlsCertificates.generateP384();
    byte[] quote = SgxShapedProvider.quote(rd(sha256(kp.getPublic().getEncoded())));
    X509Certificate cert = TestPki.selfSigned(kp, Map.of(RaTlsOids.LEGACY_GRAMINE_QUOTE, quote));

    String der = HexFormat.of().formatHex(cert.getEncoded());

    assertThat(der).contains("060b06092a864886f84d8a3906" + "04820" ); // OID then OCTET STRING, 2-byte length
    assertThat(der).doesNotContain("0101ff" + "04820");
  }

  @Test
  void extract_gramineTcgOnly_parsesAndBinds() throws Exception {
    KeyPair kp = RaTlsCertificates.generateP384();
    byte[] claims = gramineClaims(1, sha256(kp.getPublic().getEncoded()));
    byte[] quote = SgxShapedProvider.quote(rd(sha256(claims)));
    X509Certificate cert = TestPki.selfSigned(kp, Map.of(RaTlsOids.TCG_DICE_TAGGED_EVIDENCE, tcgValue(quote, claims)));

    RaTlsEvidence ev = RaTlsEvidenceExtractor.extract(cert);

    assertThat(ev.source()).isEqualTo(RaTlsEvidence.Source.TCG_DICE);
    assertThat(ev.pubkeyHashAlgId()).isEqualTo(1);
    assertThat(ev.evidence().bytes()).isEqualTo(quote);
  }

  @Test
  void extract_sha384AndSha512PubkeyHashes_accepted() throws Exception {
    KeyPair kp = RaTlsCertificates.generateP384();
    for (int alg : new int[] {7, 8}) {
      String name = alg == 7 ? "SHA-384" : "SHA-512";
      byte[] claims = gramineClaims(alg, MessageDigest.getInstance(name).digest(kp.getPublic().getEncoded()));
      byte[] quote = SgxShapedProvider.quote(rd(sha256(claims)));
      X509Certificate cert =
          TestPki.selfSigned(kp, Map.of(RaTlsOids.TCG_DICE_TAGGED_EVIDENCE, tcgValue(quote, claims)));

      assertThat(RaTlsEvidenceExtractor.extract(cert).pubkeyHashAlgId()).isEqualTo(alg);
    }
  }

  @Test
  void extract_unknownHashAlgorithm_unsupported() throws Exception {
    KeyPair kp = RaTlsCertificates.generateP384();
    byte[] claims = gramineClaims(2, sha256(kp.getPublic().getEncoded()));
    byte[] quote = SgxShapedProvider.quote(rd(sha256(claims)));
    X509Certificate cert = TestPki.selfSigned(kp, Map.of(RaTlsOids.TCG_DICE_TAGGED_EVIDENCE, tcgValue(quote, claims)));

    AttestationException e = catchThrowableOfType(AttestationException.class, () -> RaTlsEvidenceExtractor.extract(cert));

    assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_FORMAT);
  }

  @Test
  void extract_replayedExtensionUnderDifferentKey_keyBindingMismatch() throws Exception {
    X509Certificate genuine = RaTlsCertificates.create(
        RaTlsCertificates.generateP384(), new SgxShapedProvider(), null, Clock.systemUTC());
    Map<String, byte[]> stolen = new LinkedHashMap<>();
    stolen.put(RaTlsOids.TCG_DICE_TAGGED_EVIDENCE, RaTlsCertificatesTest.octets(genuine, RaTlsOids.TCG_DICE_TAGGED_EVIDENCE));
    X509Certificate replay = TestPki.selfSigned(RaTlsCertificates.generateP384(), stolen);

    AttestationException e = catchThrowableOfType(AttestationException.class, () -> RaTlsEvidenceExtractor.extract(replay));

    assertThat(e.reason()).isEqualTo(Reason.KEY_BINDING_MISMATCH);
  }

  @Test
  void extract_reportDataNotHashOfClaims_keyBindingMismatch() throws Exception {
    KeyPair kp = RaTlsCertificates.generateP384();
    byte[] claims = gramineClaims(1, sha256(kp.getPublic().getEncoded()));
    byte[] quote = SgxShapedProvider.quote(rd(sha256(kp.getPublic().getEncoded()))); // legacy binding, wrong here
    X509Certificate cert = TestPki.selfSigned(kp, Map.of(RaTlsOids.TCG_DICE_TAGGED_EVIDENCE, tcgValue(quote, claims)));

    AttestationException e = catchThrowableOfType(AttestationException.class, () -> RaTlsEvidenceExtractor.extract(cert));

    assertThat(e.reason()).isEqualTo(Reason.KEY_BINDING_MISMATCH);
  }

  @Test
  void extract_legacyQuoteForOtherKey_keyBindingMismatch() throws Exception {
    KeyPair kp = RaTlsCertificates.generateP384();
    byte[] quote = SgxShapedProvider.quote(rd(sha256(RaTlsCertificates.generateP384().getPublic().getEncoded())));
    X509Certificate cert = TestPki.selfSigned(kp, Map.of(RaTlsOids.LEGACY_GRAMINE_QUOTE, quote));

    AttestationException e = catchThrowableOfType(AttestationException.class, () -> RaTlsEvidenceExtractor.extract(cert));

    assertThat(e.reason()).isEqualTo(Reason.KEY_BINDING_MISMATCH);
  }

  @Test
  void extract_invalidTcgWithValidLegacy_noFallback() throws Exception {
    KeyPair kp = RaTlsCertificates.generateP384();
    byte[] legacy = SgxShapedProvider.quote(rd(sha256(kp.getPublic().getEncoded())));
    Map<String, byte[]> ext = new LinkedHashMap<>();
    ext.put(RaTlsOids.TCG_DICE_TAGGED_EVIDENCE, new byte[] {(byte) 0xD9, (byte) 0xEA, 0x60, (byte) 0x80});
    ext.put(RaTlsOids.LEGACY_GRAMINE_QUOTE, legacy);
    X509Certificate cert = TestPki.selfSigned(kp, ext);

    AttestationException e = catchThrowableOfType(AttestationException.class, () -> RaTlsEvidenceExtractor.extract(cert));

    assertThat(e.reason()).isEqualTo(Reason.MALFORMED);
  }

  @Test
  void extract_noExtension_malformed() throws Exception {
    X509Certificate cert = TestPki.selfSigned(RaTlsCertificates.generateP384(), Map.of());

    assertThat(RaTlsEvidenceExtractor.isRaTls(cert)).isFalse();
    assertThat(catchThrowableOfType(AttestationException.class, () -> RaTlsEvidenceExtractor.extract(cert)).reason())
        .isEqualTo(Reason.MALFORMED);
  }

  @Test
  void claims_unknownKeysIgnoredLikeGramine() throws Exception {
    KeyPair kp = RaTlsCertificates.generateP384();
    byte[] entry = new Cbor.Writer().array(2).uint(1).bytes(sha256(kp.getPublic().getEncoded())).toByteArray();
    byte[] claims = new Cbor.Writer().map(2).text("future-claim").uint(5).text("pubkey-hash").bytes(entry).toByteArray();

    RaTlsClaims parsed = RaTlsClaims.parse(claims);

    assertThat(parsed.matches(kp.getPublic().getEncoded())).isTrue();
    assertThat(parsed.nonce()).isEmpty();
  }
}
