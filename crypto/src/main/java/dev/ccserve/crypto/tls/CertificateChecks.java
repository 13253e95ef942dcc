package dev.ccserve.crypto.tls;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * Startup checks on TLS material, each failing with a {@link TlsMaterialException} that says what
 * was expected and what was found: a key that matches its certificate, certificates inside their
 * validity window at the injected clock's instant, and a chain whose links (and optional trust
 * anchor) actually signed each other. Stateless and thread-safe.
 */
public final class CertificateChecks {
  private static final SecureRandom RANDOM = new SecureRandom();

  private CertificateChecks() {}

  /** Proves possession: signs a random challenge with {@code key}, verifies with the cert's key. */
  public static void requireKeyMatches(PrivateKey key, X509Certificate cert, String role) {
    byte[] challenge = new byte[32];
    RANDOM.nextBytes(challenge);
    boolean ok;
    try {
      String alg = KeyAlgorithm.signatureAlgorithmFor(key);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(challenge);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(cert.getPublicKey());
      v.update(challenge);
      ok = v.verify(sig);
    } catch (GeneralSecurityException | RuntimeException e) {
      ok = false;
    }
    if (!ok) {
      throw new TlsMaterialException(
          role + " private key (" + key.getAlgorithm() + ") does not match the public key of its certificate "
              + Pem.describe(cert) + " (" + cert.getPublicKey().getAlgorithm() + ")");
    }
  }

  /** Requires every certificate of {@code chain} to be valid at {@code clock.instant()}. */
  public static void requireValid(List<X509Certificate> chain, Clock clock, String role) {
    Instant now = clock.instant();
    for (X509Certificate c : chain) {
      try {
        c.checkValidity(Date.from(now));
      } catch (CertificateExpiredException e) {
        throw new TlsMaterialException(
            role + " certificate " + Pem.describe(c) + " expired at "
                + c.getNotAfter().toInstant() + " (now " + now + ")");
      } catch (CertificateNotYetValidException e) {
        throw new TlsMaterialException(
            role + " certificate " + Pem.describe(c) + " is not valid before "
                + c.getNotBefore().toInstant() + " (now " + now + ")");
      }
    }
  }

  /** Requires {@code chain[i]} to be signed by {@code chain[i+1]}. */
  public static void requireChainLinked(List<X509Certificate> chain, String role) {
    for (int i = 0; i + 1 < chain.size(); i++) {
      requireSignedBy(chain.get(i), List.of(chain.get(i + 1)), role);
    }
  }

  /**
   * Requires {@code cert} to be signed by one of {@code issuers} (or to be one of them itself, the
   * trust-on-this-certificate case).
   */
  public static void requireSignedBy(X509Certificate cert, List<X509Certificate> issuers, String role) {
    for (X509Certificate issuer : issuers) {
      if (issuer.equals(cert)) {
        return;
      }
      if (!issuer.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
        continue;
      }
      try {
        cert.verify(issuer.getPublicKey());
        return;
      } catch (GeneralSecurityException e) {
        // try the next issuer with the same name
      }
    }
    StringBuilder names = new StringBuilder();
    for (X509Certificate i : issuers) {
      names.append(names.length() == 0 ? "" : ", ").append(Pem.describe(i));
    }
    throw new TlsMaterialException(
        role + " certificate " + Pem.describe(cert) + " issued by '"
            + cert.getIssuerX500Principal().getName() + "' was not signed by the given CA "
            + names);
  }
}
