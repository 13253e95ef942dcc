package dev.ccserve.attestation.dcap;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Certificate chain and CRL parsing and validation against pinned root keys. */
final class CertChains {
  private static final Pattern PEM =
      Pattern.compile("-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\\s]*?)-----END CERTIFICATE-----");
  private static final int MAX_CERTS = 8;

  private CertChains() {}

  /** A validated chain: leaf first, intermediates, and the root it ends in. */
  static final class Validated {
    final List<X509Certificate> path; // leaf..last intermediate (no root certificate)
    final TrustedRoot root;

    Validated(List<X509Certificate> path, TrustedRoot root) {
      this.path = path;
      this.root = root;
    }

    X509Certificate leaf() {
      return path.get(0);
    }

    /** The certificate that issued the leaf (an intermediate), or null when the root did. */
    X509Certificate leafIssuer() {
      return path.size() > 1 ? path.get(1) : null;
    }

    Instant earliestNotAfter() {
      Instant min = Instant.MAX;
      for (X509Certificate c : path) {
        Instant t = c.getNotAfter().toInstant();
        if (t.isBefore(min)) {
          min = t;
        }
      }
      return min;
    }
  }

  /**
   * Parses concatenated PEM certificates (trailing NULs allowed) or concatenated DER, and orders
   * them leaf first.
   */
  static List<X509Certificate> parse(byte[] data, String step) throws AttestationException {
    List<X509Certificate> certs = new ArrayList<>();
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      String text = new String(data, StandardCharsets.ISO_8859_1);
      if (text.contains("-----BEGIN CERTIFICATE-----")) {
        Matcher m = PEM.matcher(text);
        while (m.find()) {
          byte[] der = Base64.getDecoder().decode(m.group(1).replaceAll("\\s+", ""));
          certs.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der)));
          if (certs.size() > MAX_CERTS) {
            break;
          }
        }
      } else {
        Collection<? extends Certificate> all =
            cf.generateCertificates(new ByteArrayInputStream(stripTrailingZeros(data)));
        for (Certificate c : all) {
          certs.add((X509Certificate) c);
        }
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new AttestationException(Reason.MALFORMED, step,
          "certificate chain does not parse (" + e.getClass().getSimpleName() + ")");
    }
    if (certs.isEmpty() || certs.size() > MAX_CERTS) {
      throw new AttestationException(Reason.MALFORMED, step,
          "expected 1.." + MAX_CERTS + " certificates, found " + certs.size());
    }
    return order(certs, step);
  }

  static List<X509Certificate> parsePem(String pem, String step) throws AttestationException {
    return parse(pem.getBytes(StandardCharsets.ISO_8859_1), step);
  }

  private static byte[] stripTrailingZeros(byte[] d) {
    int n = d.length;
    while (n > 0 && d[n - 1] == 0) {
      n--;
    }
    return java.util.Arrays.copyOf(d, n);
  }

  /** Orders certificates leaf first by following issuer names; rejects anything but one chain. */
  private static List<X509Certificate> order(List<X509Certificate> in, String step)
      throws AttestationException {
    List<X509Certificate> remaining = new ArrayList<>(in);
    X509Certificate leaf = null;
    for (X509Certificate c : in) {
      boolean issuesOther = false;
      for (X509Certificate o : in) {
        if (o != c && o.getIssuerX500Principal().equals(c.getSubjectX500Principal())
            && !selfIssued(o)) {
          issuesOther = true;
        }
      }
      if (!issuesOther) {
        if (leaf != null) {
          throw new AttestationException(Reason.CERT_CHAIN_INVALID, step,
              "expected one certificate chain, found several leaves");
        }
        leaf = c;
      }
    }
    if (leaf == null) {
      throw new AttestationException(Reason.CERT_CHAIN_INVALID, step, "no leaf certificate found");
    }
    List<X509Certificate> out = new ArrayList<>();
    X509Certificate cur = leaf;
    remaining.remove(cur);
    out.add(cur);
    while (!selfIssued(cur) && !remaining.isEmpty()) {
      X509Certificate next = null;
      for (X509Certificate o : remaining) {
        if (o.getSubjectX500Principal().equals(cur.getIssuerX500Principal())) {
          next = o;
          break;
        }
      }
      if (next == null) {
        break;
      }
      remaining.remove(next);
      out.add(next);
      cur = next;
    }
    if (!remaining.isEmpty()) {
      throw new AttestationException(Reason.CERT_CHAIN_INVALID, step,
          "expected a single chain, found " + remaining.size() + " unrelated certificate(s)");
    }
    return out;
  }

  static boolean selfIssued(X509Certificate c) {
    return c.getSubjectX500Principal().equals(c.getIssuerX500Principal());
  }

  /** Validates {@code chain} (leaf first) to one of {@code roots} at {@code at}. */
  static Validated validate(List<X509Certificate> chain, List<TrustedRoot> roots, Instant at,
      String step) throws AttestationException {
    X509Certificate last = chain.get(chain.size() - 1);
    List<X509Certificate> path = new ArrayList<>(chain);
    TrustedRoot root = null;
    if (selfIssued(last)) {
      for (TrustedRoot r : roots) {
        if (r.matches(last.getPublicKey())) {
          root = r;
        }
      }
      if (root == null) {
        throw new AttestationException(Reason.UNTRUSTED_ROOT, step,
            "expected the chain to end in a pinned root key " + names(roots) + ", found root \""
                + last.getSubjectX500Principal().getName() + "\" with spki_sha256="
                + new TrustedRoot("x", last.getPublicKey(), false).spkiSha256());
      }
      try {
        last.verify(last.getPublicKey()); // the pinned key is the trust; still reject tampering
      } catch (GeneralSecurityException | RuntimeException e) {
        throw new AttestationException(Reason.CERT_CHAIN_INVALID, step,
            "root certificate \"" + last.getSubjectX500Principal().getName()
                + "\" carries the pinned key but its self-signature does not verify");
      }
      path.remove(path.size() - 1);
      if (path.isEmpty()) {
        throw new AttestationException(Reason.CERT_CHAIN_INVALID, step,
            "expected a leaf certificate below the root, found only the root");
      }
    } else {
      for (TrustedRoot r : roots) {
        try {
          last.verify(r.key());
          root = r;
          break;
        } catch (GeneralSecurityException | RuntimeException e) {
          // try the next root
        }
      }
      if (root == null) {
        throw new AttestationException(Reason.UNTRUSTED_ROOT, step,
            "expected \"" + last.getIssuerX500Principal().getName() + "\" to be a pinned root key "
                + names(roots) + ", found no match");
      }
    }
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      CertPath cp = cf.generateCertPath(path);
      TrustAnchor anchor = new TrustAnchor(path.get(path.size() - 1).getIssuerX500Principal(),
          root.key(), null);
      PKIXParameters params = new PKIXParameters(Set.of(anchor));
      params.setRevocationEnabled(false);
      params.setDate(Date.from(at));
      CertPathValidator.getInstance("PKIX").validate(cp, params);
    } catch (CertPathValidatorException e) {
      throw new AttestationException(Reason.CERT_CHAIN_INVALID, step,
          "certificate chain invalid at " + at + ": " + describe(e));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new AttestationException(Reason.CERT_CHAIN_INVALID, step,
          "certificate chain invalid: " + e.getClass().getSimpleName());
    }
    return new Validated(List.copyOf(path), root);
  }

  private static String describe(CertPathValidatorException e) {
    String r = String.valueOf(e.getReason());
    String m = e.getMessage() == null ? "" : e.getMessage();
    if (m.length() > 200) {
      m = m.substring(0, 200);
    }
    return r + " (cert index " + e.getIndex() + "): " + m;
  }

  private static String names(List<TrustedRoot> roots) {
    List<String> n = new ArrayList<>();
    for (TrustedRoot r : roots) {
      n.add(r.name());
    }
    return n.toString();
  }

  /** Parses a CRL from DER, PEM or hex text. */
  static X509CRL parseCrl(byte[] data, String step) throws AttestationException {
    try {
      byte[] der = data;
      String text = new String(data, StandardCharsets.ISO_8859_1).trim();
      if (text.matches("[0-9a-fA-F]+") && text.length() % 2 == 0 && text.length() > 2) {
        der = java.util.HexFormat.of().parseHex(text);
      }
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      X509CRL crl = (X509CRL) cf.generateCRL(new ByteArrayInputStream(der));
      if (crl == null) {
        throw new AttestationException(Reason.CRL_INVALID, step, "empty CRL");
      }
      return crl;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new AttestationException(Reason.CRL_INVALID, step,
          "CRL does not parse (" + e.getClass().getSimpleName() + ")");
    }
  }

  /**
   * Checks issuer name, signature by {@code issuerKey} and the thisUpdate..nextUpdate window
   * (nextUpdate extended by {@code grace}).
   */
  static void checkCrl(X509CRL crl, javax.security.auth.x500.X500Principal issuer,
      java.security.PublicKey issuerKey, Instant at, java.time.Duration grace, String step,
      VerificationCache cache) throws AttestationException {
    if (!crl.getIssuerX500Principal().equals(issuer)) {
      throw new AttestationException(Reason.CRL_INVALID, step,
          "expected CRL issuer \"" + issuer.getName() + "\", found \""
              + crl.getIssuerX500Principal().getName() + "\"");
    }
    if (!cache.crlSignatureValid(crl, issuerKey)) {
      throw new AttestationException(Reason.CRL_INVALID, step,
          "CRL signature does not verify with the issuer key of \"" + issuer.getName() + "\"");
    }
    Instant thisUpdate = crl.getThisUpdate().toInstant();
    if (at.isBefore(thisUpdate)) {
      throw new AttestationException(Reason.COLLATERAL_EXPIRED, step,
          "CRL not yet valid: thisUpdate " + thisUpdate + " is after verification time " + at);
    }
    if (crl.getNextUpdate() == null) {
      throw new AttestationException(Reason.CRL_INVALID, step, "CRL has no nextUpdate");
    }
    Instant next = crl.getNextUpdate().toInstant();
    if (at.isAfter(next.plus(grace))) {
      throw new AttestationException(Reason.COLLATERAL_EXPIRED, step,
          "CRL expired: nextUpdate " + next + " is before verification time " + at);
    }
  }
}
