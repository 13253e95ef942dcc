package dev.ccserve.attestation.detect;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.dcap.DcapQuoteDecoder;
import dev.ccserve.attestation.diagnostics.DecodedEvidence;
import dev.ccserve.attestation.diagnostics.EvidenceDecoder;
import java.util.List;
import java.util.Optional;

/**
 * Detects what a blob of bytes is and returns the evidence inside: a bare SGX v3 / TDX v4 / TDX v5
 * quote, a bare SNP report, or an RA-TLS certificate in PEM or DER (whose key binding is checked).
 * Nothing is verified. Tries, in order, the DCAP quote decoder, {@link SnpReportDecoder}, {@link
 * RaTlsCertificateDecoder}, then {@link EvidenceSniffer} for quotes from non-Intel quoting
 * enclaves.
 *
 * <p>Every failure, on any input, is an {@link AttestationException} (UNSUPPORTED_FORMAT when
 * nothing matches). Stateless and thread-safe.
 */
public final class EvidenceDetector {
  private static final List<EvidenceDecoder> DECODERS =
      List.of(new DcapQuoteDecoder(), new SnpReportDecoder(), new RaTlsCertificateDecoder());

  private EvidenceDetector() {}

  /** The evidence in {@code input} and where it came from. */
  public static DecodedEvidence detect(byte[] input) throws AttestationException {
    if (input == null || input.length == 0) {
      throw new AttestationException(Reason.UNSUPPORTED_FORMAT, "detect", "expected evidence bytes, found none");
    }
    for (EvidenceDecoder d : DECODERS) {
      Optional<DecodedEvidence> r;
      try {
        r = d.decode(input);
      } catch (RuntimeException e) {
        throw new AttestationException(
            Reason.MALFORMED, "detect." + d.name(), "decoder failed: " + e.getClass().getSimpleName(), e);
      }
      if (r.isPresent()) {
        return r.get();
      }
    }
    Optional<EvidenceFormat> f = EvidenceSniffer.sniff(input);
    if (f.isPresent()) {
      return DecodedEvidence.bare(Evidence.of(f.get(), input));
    }
    throw new AttestationException(
        Reason.UNSUPPORTED_FORMAT, "detect",
        "not an SGX v3 / TDX v4 / TDX v5 quote, SNP report or RA-TLS certificate (" + input.length + " bytes)");
  }
}
