package dev.ccserve.attestation.ratls;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceProvider;
import dev.ccserve.attestation.TeeType;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Date;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Creates RA-TLS certificates in Gramine's layout (attestation.md section 1.2): self-signed,
 * subject = issuer = {@code CN=RATLS,O=GramineDevelopers,C=US}, serial 1, ECDSA with SHA-256,
 * basicConstraints CA=false, subject and authority key identifiers, and the evidence extensions.
 *
 * <p>Extensions (both non-critical): the TCG DICE tagged evidence 2.23.133.5.4.9 = CBOR
 * {@code tag 60000 [bstr evidence, bstr claims]} with report_data = SHA-256(claims) || 32 zero
 * bytes (see {@link RaTlsClaims}; a non-null nonce is added as the {@code "nonce"} claim), and,
 * for SGX providers only, Gramine's legacy quote extension 0.6.9.42.840.113741.1337.6 = the raw
 * quote with report_data = SHA-256(DER SPKI) || 32 zero bytes. Like Gramine, the provider is asked
 * twice, once per extension. For TDX and SNP providers the raw quote/report goes into the TCG
 * extension the same way and the legacy extension (defined as "SGX quote") is omitted: a ccserve
 * deviation, since Gramine only embeds SGX quotes.
 *
 * <p>Validity: from one minute before the clock's instant (truncated to seconds) for {@link
 * #DEFAULT_VALIDITY}, unless given. Stateless and thread-safe (as thread-safe as the provider).
 */
public final class RaTlsCertificates {
  /** Gramine's subject and issuer name. */
  public static final String SUBJECT = "CN=RATLS,O=GramineDevelopers,C=US";
  /** Default certificate lifetime. */
  public static final Duration DEFAULT_VALIDITY = Duration.ofDays(1);
  private static final Duration BACKDATE = Duration.ofMinutes(1);

  private RaTlsCertificates() {}

  /**
   * The EC curves of RA-TLS keys. Gramine generates P-384; verifiers (Gramine's and ccserve's)
   * accept P-256 and P-384. P-256 costs about half as much to generate, sign and verify with the
   * JDK's pure-Java EC code, which is why ccserve's own broker client uses it.
   */
  public enum KeyCurve {
    P256("secp256r1", 256),
    P384("secp384r1", 384);

    private final String jcaName;
    private final int bits;

    KeyCurve(String jcaName, int bits) {
      this.jcaName = jcaName;
      this.bits = bits;
    }

    /** Generates a fresh key pair on this curve. */
    public KeyPair generate() {
      try {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec(jcaName));
        return g.generateKeyPair();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("EC " + name() + " unavailable", e);
      }
    }
  }

  /** Generates a fresh ECDSA P-384 key pair (Gramine's default RA-TLS key type). */
  public static KeyPair generateP384() {
    return KeyCurve.P384.generate();
  }

  /** {@link #create(KeyPair, EvidenceProvider, byte[], Clock, Duration)} with the default validity. */
  public static X509Certificate create(KeyPair keys, EvidenceProvider provider, byte[] nonce, Clock clock)
      throws AttestationException {
    return create(keys, provider, nonce, clock, DEFAULT_VALIDITY);
  }

  /**
   * Creates an RA-TLS certificate for {@code keys} (EC P-256 or P-384), with evidence from {@code provider} bound to
   * its public key and, when {@code nonce} is non-null (1..256 bytes), to the nonce.
   *
   * @throws AttestationException when the provider fails
   */
  public static X509Certificate create(
      KeyPair keys, EvidenceProvider provider, byte[] nonce, Clock clock, Duration validity)
      throws AttestationException {
    if (!(keys.getPublic() instanceof ECPublicKey ec) || !curveSupported(ec)) {
      throw new IllegalArgumentException("expected an EC P-256 or P-384 key pair, found "
          + keys.getPublic().getAlgorithm());
    }
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("validity must be positive, found " + validity);
    }
    byte[] spki = keys.getPublic().getEncoded();
    byte[] claims = RaTlsClaims.encode(spki, nonce);
    Evidence tcgEvidence = provider.attest(reportData(RaTlsClaims.sha(1, claims)));
    byte[] tcg = new Cbor.Writer()
        .tag(RaTlsOids.TCG_EVIDENCE_CBOR_TAG)
        .array(2)
        .bytes(tcgEvidence.bytes())
        .bytes(claims)
        .toByteArray();
    byte[] legacy = null;
    if (provider.tee() == TeeType.SGX) {
      legacy = provider.attest(reportData(RaTlsClaims.sha(1, spki))).bytes();
    }
    Instant notBefore = clock.instant().truncatedTo(ChronoUnit.SECONDS).minus(BACKDATE);
    try {
      return build(keys, tcg, legacy, notBefore, notBefore.plus(validity));
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new AttestationException(
          Reason.MALFORMED, "ratls_create", "cannot build the RA-TLS certificate: " + e.getClass().getSimpleName(), e);
    }
  }

  private static boolean curveSupported(ECPublicKey ec) {
    int bits = ec.getParams().getCurve().getField().getFieldSize();
    for (KeyCurve c : KeyCurve.values()) {
      if (c.bits == bits) {
        return true;
      }
    }
    return false;
  }

  private static byte[] reportData(byte[] sha256) {
    return Arrays.copyOf(sha256, 64);
  }

  private static X509Certificate build(KeyPair keys, byte[] tcg, byte[] legacy, Instant notBefore, Instant notAfter)
      throws GeneralSecurityException, OperatorCreationException, CertIOException {
    X500Name name = new X500Name(SUBJECT);
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
        name, BigInteger.ONE, Date.from(notBefore), Date.from(notAfter), name, keys.getPublic());
    JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, false, new BasicConstraints(false));
    b.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(keys.getPublic()));
    b.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(keys.getPublic()));
    b.addExtension(new ASN1ObjectIdentifier(RaTlsOids.TCG_DICE_TAGGED_EVIDENCE), false, tcg);
    if (legacy != null) {
      b.addExtension(new ASN1ObjectIdentifier(RaTlsOids.LEGACY_GRAMINE_QUOTE), false, legacy);
    }
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
  }
}
