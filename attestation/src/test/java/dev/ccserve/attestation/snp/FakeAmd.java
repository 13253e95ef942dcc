package dev.ccserve.attestation.snp;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceProvider;
import dev.ccserve.attestation.TeeType;
import dev.ccserve.attestation.snp.SnpReport.SigningKey;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Date;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A generated, NOT-AMD SEV-SNP hierarchy for tests: an RSA ARK and ASK (RSASSA-PSS SHA-384, like
 * AMD's, but 2048-bit to keep tests fast), a P-384 VCEK with AMD's TCB extensions, and a signer of
 * structurally real reports. Verified with {@link SnpTrustAnchors#insecureUnpinnedChain}.
 */
public final class FakeAmd {
  private static final java.security.Provider BC =
      new org.bouncycastle.jce.provider.BouncyCastleProvider();
  public static final long TCB = 0x4405000000000002L; // bl 2, tee 0, snp 5, ucode 0x44
  public static final byte[] MEASUREMENT = filled(48, (byte) 0x4d);
  public static final Instant NOT_BEFORE = Instant.parse("2024-01-01T00:00:00Z");
  public static final Instant NOT_AFTER = Instant.parse("2034-01-01T00:00:00Z");

  public final X509Certificate ark;
  public final X509Certificate ask;
  public final X509Certificate vcek;
  public final byte[] chipId = filled(64, (byte) 0xc1);
  private final PrivateKey vcekKey;

  private static FakeAmd shared;

  /** One hierarchy per test JVM (RSA key generation is the slow part of these tests). */
  public static synchronized FakeAmd shared() {
    if (shared == null) {
      shared = new FakeAmd();
    }
    return shared;
  }

  public FakeAmd() {
    try {
      KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
      rsa.initialize(2048);
      KeyPair arkKeys = rsa.generateKeyPair();
      KeyPair askKeys = rsa.generateKeyPair();
      KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
      ec.initialize(new ECGenParameterSpec("secp384r1"));
      KeyPair vcekKeys = ec.generateKeyPair();
      this.ark = cert("ARK-Milan", "ARK-Milan", arkKeys.getPublic(), arkKeys.getPrivate(), Map.of());
      this.ask = cert("SEV-Milan", "ARK-Milan", askKeys.getPublic(), arkKeys.getPrivate(), Map.of());
      this.vcek = cert("SEV-VCEK", "SEV-Milan", vcekKeys.getPublic(), askKeys.getPrivate(), vcekExtensions(chipId));
      this.vcekKey = vcekKeys.getPrivate();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Trust anchors that accept this fake hierarchy (and nothing else). */
  public SnpTrustAnchors anchors() {
    try {
      return SnpTrustAnchors.of(
          SnpTrustAnchors.insecureUnpinnedChain(SnpProduct.MILAN, SigningKey.VCEK, ask, ark));
    } catch (AttestationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A report template: version 2, policy SMT + reserved bit (no debug), TCB {@link #TCB}. */
  public byte[] template(byte[] reportData) {
    byte[] r = new byte[SnpReport.SIZE];
    putLe(r, 0x000, 2, 4);
    putLe(r, 0x008, 0x30000L, 8);
    putLe(r, 0x034, 1, 4);
    putLe(r, 0x038, TCB, 8);
    System.arraycopy(reportData, 0, r, 0x050, 64);
    System.arraycopy(MEASUREMENT, 0, r, 0x090, 48);
    putLe(r, 0x180, TCB, 8);
    System.arraycopy(chipId, 0, r, 0x1A0, 64);
    putLe(r, 0x1E0, TCB, 8);
    putLe(r, 0x1F0, TCB, 8);
    return r;
  }

  /** Signs bytes [0, 0x2A0) of {@code report} in place with the VCEK and returns it. */
  public byte[] sign(byte[] report) {
    try {
      Signature s = Signature.getInstance("SHA384withECDSAinP1363Format");
      s.initSign(vcekKey);
      s.update(report, 0, SnpReport.SIGNED_LENGTH);
      byte[] rs = s.sign();
      Arrays.fill(report, SnpReport.SIGNED_LENGTH, SnpReport.SIZE, (byte) 0);
      for (int i = 0; i < 48; i++) {
        report[SnpReport.SIGNED_LENGTH + i] = rs[47 - i];
        report[SnpReport.SIGNED_LENGTH + 72 + i] = rs[95 - i];
      }
      return report;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Evidence: a signed report followed by a certificate table with the VCEK. */
  public Evidence evidence(byte[] reportData) {
    return withVcek(sign(template(reportData)));
  }

  /** Wraps a (signed) report with this VCEK in a certificate table. */
  public Evidence withVcek(byte[] report) {
    try {
      return SnpEvidence.toEvidence(report, SnpCertificateTable.of(Map.of(SnpCertificateTable.VCEK, vcek.getEncoded())));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An {@link EvidenceProvider} whose evidence is signed by this fake hierarchy. */
  public EvidenceProvider provider() {
    return new EvidenceProvider() {
      @Override
      public Evidence attest(byte[] reportData64) throws AttestationException {
        if (reportData64.length != 64) {
          throw new IllegalArgumentException("expected 64 bytes");
        }
        return evidence(reportData64);
      }

      @Override
      public TeeType tee() {
        return TeeType.SEV_SNP;
      }

      @Override
      public String name() {
        return "fake-snp";
      }
    };
  }

  static void putLe(byte[] b, int off, long v, int len) {
    for (int i = 0; i < len; i++) {
      b[off + i] = (byte) (v >>> (8 * i));
    }
  }

  private static byte[] filled(int n, byte v) {
    byte[] b = new byte[n];
    Arrays.fill(b, v);
    return b;
  }

  private static Map<String, Object> vcekExtensions(byte[] chipId) {
    return Map.of(
        "1.3.6.1.4.1.3704.1.2", new DERIA5String("Milan-B0"),
        "1.3.6.1.4.1.3704.1.3.1", new ASN1Integer(2),
        "1.3.6.1.4.1.3704.1.3.2", new ASN1Integer(0),
        "1.3.6.1.4.1.3704.1.3.3", new ASN1Integer(5),
        "1.3.6.1.4.1.3704.1.3.8", new ASN1Integer(0x44),
        "1.3.6.1.4.1.3704.1.4", chipId);
  }

  private static X509Certificate cert(
      String cn, String issuerCn, PublicKey key, PrivateKey signer, Map<String, Object> exts) throws Exception {
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
        new X500Name("CN=" + issuerCn + ",O=FAKE NOT AMD"),
        BigInteger.valueOf(System.nanoTime()),
        Date.from(NOT_BEFORE),
        Date.from(NOT_AFTER.truncatedTo(ChronoUnit.SECONDS)),
        new X500Name("CN=" + cn + ",O=FAKE NOT AMD"),
        key);
    for (Map.Entry<String, Object> e : exts.entrySet()) {
      byte[] value = e.getValue() instanceof byte[] raw
          ? raw
          : ((org.bouncycastle.asn1.ASN1Encodable) e.getValue()).toASN1Primitive().getEncoded();
      b.addExtension(new ASN1ObjectIdentifier(e.getKey()), false, value);
    }
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA384withRSAandMGF1").setProvider(BC).build(signer)));
  }
}
