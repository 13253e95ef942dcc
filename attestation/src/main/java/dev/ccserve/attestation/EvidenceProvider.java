package dev.ccserve.attestation;

/**
 * Produces evidence from the TEE the process runs in (Gramine {@code /dev/attestation}, Linux
 * configfs-tsm, or the INSECURE simulated TEE), binding exactly 64 caller-chosen bytes of report
 * data (typically a hash of a TLS public key and a broker nonce).
 *
 * <p>Implementations must be thread-safe and must reject report data that is not 64 bytes.
 */
public interface EvidenceProvider {
  /** Returns evidence whose report_data equals {@code reportData64} (exactly 64 bytes). */
  Evidence attest(byte[] reportData64) throws AttestationException;

  /** The TEE type this provider attests. */
  TeeType tee();

  /** A short name for logs and CLI flags, e.g. {@code "gramine"}, {@code "tsm"}, {@code "simulated"}. */
  String name();
}
