package dev.ccserve.attestation.snp;

import dev.ccserve.attestation.AttestationException;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * Supplies the endorsement-key certificate (VCEK, or a VLEK from the cloud provider) for an SNP
 * report when the evidence does not carry it in a certificate table. The certificate is untrusted:
 * {@link SnpVerifier} checks it against the pinned AMD chain.
 *
 * <p>Implementations must be thread-safe.
 */
public interface VcekSource {
  /** The certificate for this report, or empty when this source has none. */
  Optional<X509Certificate> endorsementKey(SnpReport report) throws AttestationException;

  /** A source that never has a certificate (evidence must carry its own). */
  static VcekSource none() {
    return report -> Optional.empty();
  }
}
