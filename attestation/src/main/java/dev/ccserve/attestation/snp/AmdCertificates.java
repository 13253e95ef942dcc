package dev.ccserve.attestation.snp;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSASSAPSSparams;

/** Helpers for AMD's certificates: parsing, RSASSA-PSS/SHA-384 checks, validity windows. */
final class AmdCertificates {
  private static final String RSASSA_PSS_OID = PKCSObjectIdentifiers.id_RSASSA_PSS.getId();

  private AmdCertificates() {}

  /** Parses one DER or PEM certificate. */
  static X509Certificate parse(byte[] encoded, String step) throws AttestationException {
    List<X509Certificate> all = parseAll(encoded, step);
    if (all.size() != 1) {
      throw new AttestationException(
          Reason.MALFORMED, step, "expected exactly one certificate, found " + all.size());
    }
    return all.get(0);
  }

  /** Parses a DER certificate or a PEM bundle, in order. */
  static List<X509Certificate> parseAll(byte[] encoded, String step) throws AttestationException {
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      List<X509Certificate> out = new ArrayList<>();
      for (var c : cf.generateCertificates(new ByteArrayInputStream(encoded))) {
        out.add((X509Certificate) c);
      }
      return out;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new AttestationException(Reason.MALFORMED, step, "certificate is not valid DER/PEM: " + e.getClass().getSimpleName());
    }
  }

  /**
   * Checks that {@code cert} is signed by {@code issuerKey} with RSASSA-PSS using SHA-384 (the only
   * algorithm AMD uses for ARK, ASK, ASVK, VCEK and VLEK certificates).
   */
  static void verifyPss384(X509Certificate cert, PublicKey issuerKey, String step) throws AttestationException {
    if (!RSASSA_PSS_OID.equals(cert.getSigAlgOID())) {
      throw new AttestationException(
          Reason.CERT_CHAIN_INVALID, step,
          subject(cert) + ": expected signature algorithm RSASSA-PSS, found " + cert.getSigAlgName());
    }
    try {
      RSASSAPSSparams p = RSASSAPSSparams.getInstance(cert.getSigAlgParams());
      if (!NISTObjectIdentifiers.id_sha384.equals(p.getHashAlgorithm().getAlgorithm())) {
        throw new AttestationException(
            Reason.CERT_CHAIN_INVALID, step,
            subject(cert) + ": expected RSASSA-PSS with SHA-384, found hash " + p.getHashAlgorithm().getAlgorithm());
      }
    } catch (RuntimeException e) {
      throw new AttestationException(Reason.CERT_CHAIN_INVALID, step, subject(cert) + ": unreadable RSASSA-PSS parameters");
    }
    try {
      cert.verify(issuerKey);
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new AttestationException(
          Reason.CERT_CHAIN_INVALID, step,
          subject(cert) + " is not signed by the expected issuer key (" + e.getClass().getSimpleName() + ")");
    }
  }

  /** Checks the validity window at {@code now}. */
  static void checkValidity(X509Certificate cert, Instant now, String step) throws AttestationException {
    try {
      cert.checkValidity(Date.from(now));
    } catch (CertificateExpiredException e) {
      throw new AttestationException(
          Reason.COLLATERAL_EXPIRED, step,
          subject(cert) + " expired at " + cert.getNotAfter().toInstant() + "; now " + now);
    } catch (CertificateNotYetValidException e) {
      throw new AttestationException(
          Reason.COLLATERAL_EXPIRED, step,
          subject(cert) + " not valid before " + cert.getNotBefore().toInstant() + "; now " + now);
    }
  }

  static String subject(X509Certificate cert) {
    return cert.getSubjectX500Principal().getName();
  }
}
