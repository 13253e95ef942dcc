package dev.ccserve.keybroker;

import dev.ccserve.crypto.tls.CertificateAuthority;
import dev.ccserve.crypto.tls.Pem;
import dev.ccserve.crypto.tls.TlsMaterialException;
import io.grpc.Status;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * Issues serving certificates to admitted clients: the CSR's public key must EQUAL the public key
 * of the connection's RA-TLS certificate (so the serving key is the attested in-TEE key), its
 * subject must be empty or a single CN that is one of the granted names, and the names must be
 * allowed by the matching policy entry. SANs = the requested service name, or every name of the
 * entry when none is requested. Signed by the broker CA with a short validity. Thread-safe.
 */
final class ServingCertificates {
  private final CertificateAuthority ca;
  private final Duration validity;

  ServingCertificates(CertificateAuthority ca, Duration validity) {
    this.ca = Objects.requireNonNull(ca, "ca");
    this.validity = Objects.requireNonNull(validity, "validity");
  }

  /** An issued certificate. */
  record Issued(X509Certificate certificate, String chainPem, String serialHex, List<String> sans, Instant notAfter) {}

  /** A refused request: gRPC status, reason code, and a message safe to tell the client. */
  static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Status status;
    private final String reason;

    Refusal(Status status, String reason, String message) {
      super(message);
      this.status = status;
      this.reason = reason;
    }

    Status status() {
      return status;
    }

    String reason() {
      return reason;
    }
  }

  Issued issue(Admission a, byte[] csrDer, String serviceName) throws Refusal {
    PKCS10CertificationRequest csr;
    byte[] csrKey;
    try {
      csr = new PKCS10CertificationRequest(csrDer);
      csrKey = csr.getSubjectPublicKeyInfo().getEncoded();
    } catch (Exception e) {
      throw new Refusal(Status.INVALID_ARGUMENT, "CSR_INVALID",
          "expected a DER PKCS#10 request, found " + csrDer.length + " unparsable bytes");
    }
    if (!MessageDigest.isEqual(csrKey, a.certificate().getPublicKey().getEncoded())) {
      throw new Refusal(Status.PERMISSION_DENIED, "CSR_KEY_MISMATCH",
          "the CSR's public key is not the public key of this connection's RA-TLS certificate");
    }
    List<String> allowed = a.entry().serviceNames();
    List<String> sans;
    if (serviceName == null || serviceName.isEmpty()) {
      sans = allowed;
    } else if (allowed.contains(serviceName)) {
      sans = List.of(serviceName);
    } else {
      sans = List.of();
    }
    if (sans.isEmpty()) {
      throw new Refusal(Status.PERMISSION_DENIED, "SERVICE_NAME_NOT_ALLOWED",
          "policy entry \"" + a.entry().name() + "\" allows service names " + allowed + ", requested \""
              + serviceName + "\"");
    }
    checkSubject(csr, sans);
    X509Certificate cert;
    try {
      cert = ca.signCsr(csrDer, sans, validity);
    } catch (TlsMaterialException e) {
      throw new Refusal(Status.INVALID_ARGUMENT, "CSR_INVALID", e.getMessage());
    }
    String chain = Pem.encodeCertificates(List.of(cert, ca.certificate()));
    return new Issued(cert, chain, cert.getSerialNumber().toString(16), sans, cert.getNotAfter().toInstant());
  }

  private static void checkSubject(PKCS10CertificationRequest csr, List<String> sans) throws Refusal {
    RDN[] rdns = csr.getSubject().getRDNs();
    if (rdns.length == 0) {
      return;
    }
    if (rdns.length != 1 || rdns[0].isMultiValued() || !rdns[0].getFirst().getType().equals(BCStyle.CN)) {
      throw new Refusal(Status.INVALID_ARGUMENT, "CSR_SUBJECT",
          "expected an empty CSR subject or a single CN, found \"" + csr.getSubject() + "\"");
    }
    String cn = IETFUtils.valueToString(rdns[0].getFirst().getValue());
    if (!sans.contains(cn)) {
      throw new Refusal(Status.PERMISSION_DENIED, "SERVICE_NAME_NOT_ALLOWED",
          "expected the CSR's CN to be one of " + sans + ", found \"" + cn + "\"");
    }
  }
}
