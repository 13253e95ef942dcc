package dev.ccserve.attestation.dcap;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.diagnostics.DecodedEvidence;
import dev.ccserve.attestation.diagnostics.EvidenceDecoder;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * Recognises bare Intel DCAP quotes (SGX v3, TDX v4, TDX v5): u16 version 3..5 and key type 2 at
 * the start and Intel's QE vendor id at offset 12. Recognised bytes are parsed fully, so malformed
 * quotes are reported as such; trailing padding is dropped. Stateless, thread-safe.
 */
public final class DcapQuoteDecoder implements EvidenceDecoder {
  @Override
  public String name() {
    return "dcap-quote";
  }

  @Override
  public Optional<DecodedEvidence> decode(byte[] input) throws AttestationException {
    if (input == null || input.length < 48) {
      return Optional.empty();
    }
    int version = ByteReader.le16(input, 0);
    int keyType = ByteReader.le16(input, 2);
    if (version < 3 || version > 5 || keyType != 2
        || !Arrays.equals(Arrays.copyOfRange(input, 12, 28), DcapQuote.INTEL_QE_VENDOR_ID)) {
      return Optional.empty();
    }
    DcapQuote q = DcapQuote.parse(input);
    byte[] raw = q.raw();
    Map<String, String> notes = raw.length == input.length
        ? Map.of()
        : Map.of("trailing_bytes_ignored", Integer.toString(input.length - raw.length));
    return Optional.of(new DecodedEvidence(Evidence.of(q.format(), raw), "bare", notes));
  }
}
