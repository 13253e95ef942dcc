package dev.ccserve.attestation.detect;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.diagnostics.DecodedEvidence;
import dev.ccserve.attestation.diagnostics.EvidenceDecoder;
import dev.ccserve.attestation.snp.SnpEvidence;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Recognises a bare AMD SEV-SNP report (optionally followed by a certificate table, see {@link
 * SnpEvidence}) by {@link EvidenceSniffer}'s rule, then parses it so malformed reports are
 * reported as such. Stateless and thread-safe.
 */
public final class SnpReportDecoder implements EvidenceDecoder {
  @Override
  public String name() {
    return "snp-report";
  }

  @Override
  public Optional<DecodedEvidence> decode(byte[] input) throws AttestationException {
    if (EvidenceSniffer.sniff(input).orElse(null) != EvidenceFormat.SNP_REPORT) {
      return Optional.empty();
    }
    SnpEvidence parsed = SnpEvidence.parse(input);
    Map<String, String> notes = new TreeMap<>();
    notes.put("signing_key", parsed.report().signingKey().name());
    parsed.certificateTable().ifPresent(t -> notes.put("certificate_table_entries", Integer.toString(t.size())));
    return Optional.of(new DecodedEvidence(Evidence.of(EvidenceFormat.SNP_REPORT, input), "bare", notes));
  }
}
