package dev.ccserve.attestation.dcap;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.TeeType;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * Verifies DCAP collateral against the trusted roots and a PCK chain (reference §5.2 steps 3-5):
 * CRL signatures, issuers, windows and revocation; TCB Info and QE Identity signing chains and
 * signatures over the exact JSON text; ids, FMSPC and PCE-ID; validity windows. Tracks the
 * earliest expiry. The signature and chain checks go through the verifier's {@link
 * VerificationCache}; every time-dependent check runs here on each use.
 */
final class CollateralVerifier {
  private final List<TrustedRoot> roots;
  private final DcapVerifierOptions options;
  private final Instant at;
  private final VerificationCache cache;
  private Instant earliestExpiry = Instant.MAX;
  /** The verified Root CA CRL, once {@link #checkCrls} ran; used for the TCB signing chains. */
  private X509CRL rootCrl;

  CollateralVerifier(List<TrustedRoot> roots, DcapVerifierOptions options, Instant at,
      VerificationCache cache) {
    this.roots = roots;
    this.options = options;
    this.at = at;
    this.cache = cache;
  }

  Instant earliestExpiry() {
    return earliestExpiry;
  }

  void noteExpiry(Instant t) {
    if (t.isBefore(earliestExpiry)) {
      earliestExpiry = t;
    }
  }

  /** Root CA CRL and PCK CRL; PCK leaf and intermediates not revoked. */
  void checkCrls(DcapCollateral c, CertChains.Validated pck) throws AttestationException {
    X509Certificate leaf = pck.leaf();
    X509Certificate intermediate = pck.leafIssuer();
    if (intermediate == null) {
      throw new AttestationException(Reason.CERT_CHAIN_INVALID, "pck_chain",
          "expected a PCK CA between the PCK certificate and the root, found none");
    }
    X509Certificate rootIssued = pck.path.get(pck.path.size() - 1);
    X509CRL rootCrl = CertChains.parseCrl(c.rootCaCrl(), "root_ca_crl");
    CertChains.checkCrl(rootCrl, rootIssued.getIssuerX500Principal(), pck.root.key(), at,
        options.crlGrace(), "root_ca_crl", cache);
    noteExpiry(rootCrl.getNextUpdate().toInstant());
    for (int i = 1; i < pck.path.size(); i++) {
      if (rootCrl.isRevoked(pck.path.get(i))) {
        throw revoked("root_ca_crl", pck.path.get(i));
      }
    }
    // The PCK CRL's issuer chain must chain to the root, and its CA must be the PCK's issuer.
    CertChains.Validated crlChain = cache.validate(
        CertChains.parsePem(c.pckCrlIssuerChain(), "pck_crl.issuer_chain"), roots, at,
        "pck_crl.issuer_chain");
    noteExpiry(crlChain.earliestNotAfter());
    X509CRL pckCrl = CertChains.parseCrl(c.pckCrl(), "pck_crl");
    if (!crlChain.leaf().getSubjectX500Principal().equals(leaf.getIssuerX500Principal())
        || !crlChain.leaf().getPublicKey().equals(intermediate.getPublicKey())) {
      throw new AttestationException(Reason.COLLATERAL_MISMATCH, "pck_crl",
          "expected PCK CRL issuer chain for \"" + leaf.getIssuerX500Principal().getName()
              + "\", found \"" + crlChain.leaf().getSubjectX500Principal().getName() + "\"");
    }
    CertChains.checkCrl(pckCrl, leaf.getIssuerX500Principal(), intermediate.getPublicKey(), at,
        options.crlGrace(), "pck_crl", cache);
    noteExpiry(pckCrl.getNextUpdate().toInstant());
    if (pckCrl.isRevoked(leaf)) {
      throw revoked("pck_crl", leaf);
    }
    checkNotRevokedByRoot(rootCrl, crlChain);
    this.rootCrl = rootCrl;
  }

  private void checkNotRevokedByRoot(X509CRL crl, CertChains.Validated chain)
      throws AttestationException {
    for (X509Certificate cert : chain.path) {
      if (crl.isRevoked(cert)) {
        throw revoked("root_ca_crl", cert);
      }
    }
  }

  private static AttestationException revoked(String step, X509Certificate cert) {
    return new AttestationException(Reason.CERT_REVOKED, step,
        "certificate \"" + cert.getSubjectX500Principal().getName() + "\" serial "
            + cert.getSerialNumber().toString(16) + " is revoked");
  }

  /** TCB Info: signing chain, signature over the exact text, then content checks. */
  TcbInfo tcbInfo(DcapCollateral c, TeeType tee, PckExtension pck) throws AttestationException {
    checkSignedJson("tcb_info", c.tcbInfoIssuerChain(), c.tcbInfo(), c.tcbInfoSignature());
    TcbInfo info = TcbInfo.parse(c.tcbInfo());
    String expectedId = tee == TeeType.TDX ? "TDX" : "SGX";
    if (!info.id.equals(expectedId)) {
      throw new AttestationException(Reason.COLLATERAL_MISMATCH, "tcb_info",
          "expected TCB Info id \"" + expectedId + "\", found \"" + Json.abbreviate(info.id) + "\"");
    }
    if (tee == TeeType.TDX && info.version < 3) {
      throw new AttestationException(Reason.COLLATERAL_MISMATCH, "tcb_info",
          "expected TCB Info v3 for TDX, found v" + info.version);
    }
    if (!info.fmspc.equalsIgnoreCase(pck.fmspcHex())) {
      throw new AttestationException(Reason.COLLATERAL_MISMATCH, "tcb_info",
          "expected TCB Info for FMSPC " + pck.fmspcHex() + ", found " + Json.abbreviate(info.fmspc));
    }
    if (!info.pceId.equalsIgnoreCase(pck.pceIdHex())) {
      throw new AttestationException(Reason.COLLATERAL_MISMATCH, "tcb_info",
          "expected TCB Info for PCE-ID " + pck.pceIdHex() + ", found " + Json.abbreviate(info.pceId));
    }
    checkWindow("tcb_info", info.issueDate, info.nextUpdate);
    return info;
  }

  /** QE Identity: signing chain, signature over the exact text, id, window. */
  QeIdentity qeIdentity(DcapCollateral c, TeeType tee) throws AttestationException {
    checkSignedJson("qe_identity", c.qeIdentityIssuerChain(), c.qeIdentity(), c.qeIdentitySignature());
    QeIdentity id = QeIdentity.parse(c.qeIdentity());
    String expected = tee == TeeType.TDX ? "TD_QE" : "QE";
    if (!id.id.equals(expected)) {
      throw new AttestationException(Reason.COLLATERAL_MISMATCH, "qe_identity",
          "expected QE Identity id \"" + expected + "\", found \"" + Json.abbreviate(id.id) + "\"");
    }
    checkWindow("qe_identity", id.issueDate, id.nextUpdate);
    return id;
  }

  private void checkSignedJson(String step, String chainPem, String text, byte[] signature)
      throws AttestationException {
    CertChains.Validated chain = cache.validate(
        CertChains.parsePem(chainPem, step + ".issuer_chain"), roots, at, step + ".issuer_chain");
    noteExpiry(chain.earliestNotAfter());
    String cn = chain.leaf().getSubjectX500Principal().getName();
    if (!cn.contains("CN=Intel SGX TCB Signing") && !cn.contains("TCB Signing")) {
      throw new AttestationException(Reason.CERT_CHAIN_INVALID, step + ".issuer_chain",
          "expected signer CN \"Intel SGX TCB Signing\", found \"" + cn + "\"");
    }
    if (rootCrl != null) {
      checkNotRevokedByRoot(rootCrl, chain);
    }
    if (signature.length != 64
        || !cache.ecdsaValid(chain.leaf().getPublicKey(), text.getBytes(StandardCharsets.UTF_8), signature)) {
      throw new AttestationException(Reason.COLLATERAL_SIGNATURE_INVALID, step + ".signature",
          "signature over the " + step + " JSON does not verify with the TCB signing key");
    }
  }

  private void checkWindow(String step, Instant issue, Instant next) throws AttestationException {
    if (at.isBefore(issue)) {
      throw new AttestationException(Reason.COLLATERAL_EXPIRED, step,
          step + " not yet valid: issueDate " + issue + " is after verification time " + at);
    }
    if (at.isAfter(next.plus(options.tcbInfoGrace()))) {
      throw new AttestationException(Reason.COLLATERAL_EXPIRED, step,
          step + " expired: nextUpdate " + next + " is before verification time " + at);
    }
    noteExpiry(next);
  }
}
