package dev.ccserve.attestation.snp;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.snp.SnpReport.SigningKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The AMD certificate chains an {@link SnpVerifier} trusts: per product and signing-key type, an
 * intermediate (ASK for VCEKs, ASVK for VLEKs) and the ARK. Every chain built with {@link
 * #chainFromPem} has an ARK whose public key equals the pinned key of its {@link SnpProduct}, a
 * valid ARK self-signature and an ASK signed by the ARK (RSASSA-PSS, SHA-384); validity windows
 * are checked at verification time against the verifier's clock.
 *
 * <p>{@link #bundled()} holds AMD's published chains for Milan, Genoa and Turin (VCEK) and Milan,
 * Genoa (VLEK), shipped as resources. Immutable and thread-safe.
 */
public final class SnpTrustAnchors {

  /**
   * One trusted intermediate + root pair.
   *
   * @param product the AMD product line
   * @param keyType VCEK (intermediate = ASK) or VLEK (intermediate = ASVK)
   * @param ask the intermediate certificate
   * @param ark the root certificate
   * @param pinned false only for chains created with {@link #insecureUnpinnedChain}
   */
  public record Chain(
      SnpProduct product, SigningKey keyType, X509Certificate ask, X509Certificate ark, boolean pinned) {
    public Chain {
      Objects.requireNonNull(product, "product");
      Objects.requireNonNull(keyType, "keyType");
      Objects.requireNonNull(ask, "ask");
      Objects.requireNonNull(ark, "ark");
    }
  }

  private final List<Chain> chains;

  private SnpTrustAnchors(List<Chain> chains) {
    this.chains = List.copyOf(chains);
  }

  /** Trust exactly these chains. */
  public static SnpTrustAnchors of(Chain... chains) {
    return new SnpTrustAnchors(List.of(chains));
  }

  /** AMD's chains for Milan, Genoa, Turin (VCEK) and Milan, Genoa (VLEK), from bundled resources. */
  public static SnpTrustAnchors bundled() {
    try {
      return of(
          chainFromPem(SnpProduct.MILAN, SigningKey.VCEK, resource("ask_ark_milan.pem")),
          chainFromPem(SnpProduct.GENOA, SigningKey.VCEK, resource("ask_ark_genoa.pem")),
          chainFromPem(SnpProduct.TURIN, SigningKey.VCEK, resource("ask_ark_turin_vcek.pem")),
          chainFromPem(SnpProduct.MILAN, SigningKey.VLEK, resource("ask_ark_milan_vlek.pem")),
          chainFromPem(SnpProduct.GENOA, SigningKey.VLEK, resource("ask_ark_genoa_vlek.pem")));
    } catch (AttestationException e) {
      throw new IllegalStateException("bundled AMD chain is invalid: " + e.getMessage(), e);
    }
  }

  /**
   * Builds a chain from PEM text holding the intermediate then the ARK (the order AMD KDS serves
   * {@code cert_chain} in), requiring the ARK key to be the pinned key of {@code product}.
   *
   * @throws AttestationException UNTRUSTED_ROOT when the ARK key is not pinned for the product,
   *     CERT_CHAIN_INVALID when a signature does not verify, MALFORMED for unreadable PEM
   */
  public static Chain chainFromPem(SnpProduct product, SigningKey keyType, String pem)
      throws AttestationException {
    List<X509Certificate> certs =
        AmdCertificates.parseAll(pem.getBytes(StandardCharsets.US_ASCII), "amd_chain");
    if (certs.size() != 2) {
      throw new AttestationException(
          Reason.MALFORMED, "amd_chain", "expected 2 certificates (intermediate, ARK), found " + certs.size());
    }
    X509Certificate ask = certs.get(0);
    X509Certificate ark = certs.get(1);
    if (!product.isPinnedArk(ark.getPublicKey())) {
      throw new AttestationException(
          Reason.UNTRUSTED_ROOT, "ark_pin",
          "ARK " + AmdCertificates.subject(ark) + " does not carry the pinned " + product.kdsName() + " ARK key");
    }
    checkSignatures(ask, ark);
    return new Chain(product, keyType, ask, ark, true);
  }

  /**
   * DANGEROUS: trusts a chain whose ARK is NOT one of AMD's pinned keys. Only for tests with a
   * generated fake AMD hierarchy; evidence verified this way proves nothing about AMD hardware.
   */
  public static Chain insecureUnpinnedChain(
      SnpProduct product, SigningKey keyType, X509Certificate ask, X509Certificate ark)
      throws AttestationException {
    checkSignatures(ask, ark);
    return new Chain(product, keyType, ask, ark, false);
  }

  private static void checkSignatures(X509Certificate ask, X509Certificate ark) throws AttestationException {
    AmdCertificates.verifyPss384(ark, ark.getPublicKey(), "ark_signature");
    AmdCertificates.verifyPss384(ask, ark.getPublicKey(), "ask_signature");
  }

  /** The chains for a key type, restricted to {@code product} when it is known. */
  List<Chain> chainsFor(SigningKey keyType, Optional<SnpProduct> product) {
    List<Chain> out = new ArrayList<>();
    for (Chain c : chains) {
      if (c.keyType() == keyType && product.map(p -> p == c.product()).orElse(true)) {
        out.add(c);
      }
    }
    return out;
  }

  /** All chains. */
  public List<Chain> chains() {
    return chains;
  }

  private static String resource(String name) {
    try (InputStream in = SnpTrustAnchors.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing bundled resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read bundled resource " + name, e);
    }
  }
}
