package dev.ccserve.attestation.diagnostics;

import dev.ccserve.attestation.AttestationException;
import java.util.Optional;

/**
 * Recognises one family of evidence containers in raw bytes (a bare DCAP quote, an SNP report, a
 * Gramine RA-TLS certificate in PEM or DER...) and extracts the {@link
 * dev.ccserve.attestation.Evidence} inside. Used by the diagnostics tool to accept "whatever file
 * the user has".
 *
 * <p>Contract: return {@link Optional#empty()} when the bytes are not this decoder's format (cheap
 * sniffing, no exceptions); throw {@link AttestationException} (reason {@code MALFORMED} or {@code
 * UNSUPPORTED_FORMAT}) when they clearly are but cannot be decoded. Never throw anything else, on any
 * input. Implementations are stateless and thread-safe, have a public no-argument constructor, and
 * are registered for {@link java.util.ServiceLoader} in {@code
 * META-INF/services/dev.ccserve.attestation.diagnostics.EvidenceDecoder}.
 */
public interface EvidenceDecoder {
  /** A short name, e.g. {@code "dcap-quote"}, {@code "snp-report"}, {@code "ratls-cert"}. */
  String name();

  /** Lower values are tried first (bare formats 100, containers 200). */
  default int priority() {
    return 100;
  }

  Optional<DecodedEvidence> decode(byte[] input) throws AttestationException;
}
