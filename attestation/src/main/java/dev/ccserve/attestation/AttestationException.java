package dev.ccserve.attestation;

import java.util.Objects;

/**
 * The one exception type of the attestation boundary. Every failure to parse, verify or accept
 * evidence is reported as this exception with a machine-readable {@link Reason} and the name of the
 * failing {@link #step()} (like Gramine's {@code err_loc}), e.g. {@code "pck_chain"}, {@code
 * "qe_report_signature"}, {@code "tcb_level"}, {@code "policy.mr_enclave"}.
 *
 * <p>Messages say what was expected and what was found, are truncated to about 1 KiB and never
 * contain key bytes or whole quotes (use digests).
 */
public final class AttestationException extends Exception {
  private static final long serialVersionUID = 1L;
  private static final int MAX_MESSAGE = 1024;

  /** Why evidence was rejected. */
  public enum Reason {
    /** The evidence or collateral could not be parsed (truncated, wrong lengths, bad encoding). */
    MALFORMED,
    /** A version, key type, body type or certification data type this verifier does not handle. */
    UNSUPPORTED_FORMAT,
    /** The certificate chain does not end in a pinned (or explicitly trusted) root key. */
    UNTRUSTED_ROOT,
    /** A certificate in a chain is invalid: bad signature, wrong issuer, expired, not a CA. */
    CERT_CHAIN_INVALID,
    /** A certificate in the chain is listed in a CRL. */
    CERT_REVOKED,
    /** A CRL is malformed, badly signed, or from the wrong issuer. */
    CRL_INVALID,
    /** The signature over TCB Info or QE Identity JSON does not verify. */
    COLLATERAL_SIGNATURE_INVALID,
    /** Collateral (CRL, TCB Info, QE Identity, certificate) is past its nextUpdate / validity. */
    COLLATERAL_EXPIRED,
    /** Collateral does not belong to this evidence (FMSPC, PCE-ID, TEE type, version). */
    COLLATERAL_MISMATCH,
    /** The QE report is not signed by the PCK key. */
    QE_REPORT_SIGNATURE_INVALID,
    /** The QE report does not match the QE Identity (mrsigner, isvprodid, masks) or is revoked. */
    QE_IDENTITY_MISMATCH,
    /** QE report_data is not SHA-256(attestation key || QE auth data). */
    ATTESTATION_KEY_BINDING_INVALID,
    /** The quote signature does not verify with the attestation key. */
    QUOTE_SIGNATURE_INVALID,
    /** No TCB level in the TCB Info matches the platform's SVNs. */
    TCB_NOT_SUPPORTED,
    /** The TCB status is not one the policy accepts (or is Revoked). */
    TCB_STATUS_REJECTED,
    /** An SNP report signature does not verify with the VCEK/VLEK. */
    REPORT_SIGNATURE_INVALID,
    /** The enclave/TD/guest is in debug mode and the policy does not allow it. */
    DEBUG_NOT_ALLOWED,
    /** A measurement (MRENCLAVE, MRSIGNER, MRTD, RTMR, SNP measurement...) is not allowed. */
    MEASUREMENT_MISMATCH,
    /** A security version number is below the required minimum. */
    SVN_TOO_LOW,
    /** report_data does not carry the expected value (key hash, nonce, prefix). */
    REPORT_DATA_MISMATCH,
    /** The evidence comes from the simulated TEE and the relying party does not trust it. */
    SIMULATED_NOT_TRUSTED,
    /** The nonce in the evidence is unknown, reused or expired. */
    NONCE_STALE,
    /** The evidence is not bound to the TLS key presented alongside it. */
    KEY_BINDING_MISMATCH,
    /** The policy rejected the claims for another reason. */
    POLICY_DENIED,
    /** Collateral could not be obtained (network, cache, missing file). */
    COLLATERAL_UNAVAILABLE
  }

  private final Reason reason;
  private final String step;

  public AttestationException(Reason reason, String step, String message) {
    super(format(reason, step, message));
    this.reason = Objects.requireNonNull(reason, "reason");
    this.step = Objects.requireNonNull(step, "step");
  }

  public AttestationException(Reason reason, String step, String message, Throwable cause) {
    super(format(reason, step, message), cause);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.step = Objects.requireNonNull(step, "step");
  }

  public Reason reason() {
    return reason;
  }

  /** The failing verification step, e.g. {@code "quote_signature"}. */
  public String step() {
    return step;
  }

  /** The message without the "[REASON at step]" prefix. */
  public String detail() {
    String m = getMessage();
    int i = m.indexOf("] ");
    return i >= 0 ? m.substring(i + 2) : m;
  }

  private static String format(Reason reason, String step, String message) {
    String m = "[" + reason + " at " + step + "] " + (message == null ? "" : message);
    return m.length() > MAX_MESSAGE ? m.substring(0, MAX_MESSAGE - 3) + "..." : m;
  }
}
