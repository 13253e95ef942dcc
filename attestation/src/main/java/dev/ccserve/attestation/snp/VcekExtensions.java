package dev.ccserve.attestation.snp;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1String;

/**
 * The AMD extensions of a VCEK/VLEK certificate (arc 1.3.6.1.4.1.3704.1): {@code .2} product name
 * (IA5String, e.g. "Milan-B0"), {@code .3.1} blSPL, {@code .3.2} teeSPL, {@code .3.3} snpSPL,
 * {@code .3.8} ucodeSPL, {@code .3.9} fmcSPL (Turin; all INTEGER), {@code .4} hwID (the raw
 * chip_id bytes directly as extnValue content, not DER-wrapped; VCEK only), {@code .5} CSP id (VLEK only). Immutable.
 */
final class VcekExtensions {
  private static final String ARC = "1.3.6.1.4.1.3704.1";
  private static final int MAX_SPL = 255;

  private final Optional<String> productName;
  private final int bl;
  private final int tee;
  private final int snp;
  private final int ucode;
  private final int fmc;
  private final Optional<byte[]> hwId;

  private VcekExtensions(
      Optional<String> productName, int bl, int tee, int snp, int ucode, int fmc, Optional<byte[]> hwId) {
    this.productName = productName;
    this.bl = bl;
    this.tee = tee;
    this.snp = snp;
    this.ucode = ucode;
    this.fmc = fmc;
    this.hwId = hwId;
  }

  static VcekExtensions read(X509Certificate cert) throws AttestationException {
    Optional<String> product = ext(cert, ARC + ".2").map(p -> p instanceof ASN1String s ? s.getString() : null);
    int bl = spl(cert, ARC + ".3.1", true);
    int tee = spl(cert, ARC + ".3.2", true);
    int snp = spl(cert, ARC + ".3.3", true);
    int ucode = spl(cert, ARC + ".3.8", true);
    int fmc = spl(cert, ARC + ".3.9", false);
    Optional<byte[]> hw = rawExt(cert, ARC + ".4");
    return new VcekExtensions(product, bl, tee, snp, ucode, fmc, hw);
  }

  Optional<String> productName() {
    return productName;
  }

  Optional<byte[]> hwId() {
    return hwId.map(byte[]::clone);
  }

  /** The TCB this certificate was issued for, encoded in the product's layout. */
  SnpTcb tcb(SnpProduct product) {
    long raw;
    if (product.turinTcbLayout()) {
      raw = fmc | (long) bl << 8 | (long) tee << 16 | (long) snp << 24 | (long) ucode << 56;
    } else {
      raw = bl | (long) tee << 8 | (long) snp << 48 | (long) ucode << 56;
    }
    return SnpTcb.decode(raw, product);
  }

  private static int spl(X509Certificate cert, String oid, boolean required) throws AttestationException {
    Optional<ASN1Primitive> p = ext(cert, oid);
    if (p.isEmpty()) {
      if (required) {
        throw bad("missing TCB extension " + oid);
      }
      return 0;
    }
    if (!(p.get() instanceof ASN1Integer i)) {
      throw bad("TCB extension " + oid + " is not an INTEGER");
    }
    int v;
    try {
      v = i.intValueExact();
    } catch (ArithmeticException e) {
      throw bad("TCB extension " + oid + " out of range");
    }
    if (v < 0 || v > MAX_SPL) {
      throw bad("TCB extension " + oid + " must be 0..255, found " + v);
    }
    return v;
  }

  private static Optional<byte[]> rawExt(X509Certificate cert, String oid) throws AttestationException {
    byte[] outer = cert.getExtensionValue(oid);
    if (outer == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(ASN1OctetString.getInstance(outer).getOctets());
    } catch (RuntimeException e) {
      throw bad("extension " + oid + " is not an OCTET STRING");
    }
  }

  private static Optional<ASN1Primitive> ext(X509Certificate cert, String oid) throws AttestationException {
    byte[] outer = cert.getExtensionValue(oid);
    if (outer == null) {
      return Optional.empty();
    }
    try {
      ASN1Encodable inner = ASN1Primitive.fromByteArray(ASN1OctetString.getInstance(outer).getOctets());
      return Optional.of(inner.toASN1Primitive());
    } catch (IOException | RuntimeException e) {
      throw bad("extension " + oid + " is not valid DER");
    }
  }

  private static AttestationException bad(String what) {
    return new AttestationException(Reason.MALFORMED, "vcek_extensions", "VCEK " + what);
  }
}
