package dev.ccserve.attestation.diagnostics;

import dev.ccserve.attestation.Evidence;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The result of an {@link EvidenceDecoder}: the evidence found, the container it came from, and
 * notes about the container (e.g. for an RA-TLS certificate {@code "extension": "tcg-dice"}, {@code
 * "key_binding": "ok"}, {@code "pubkey_sha256": "..."}). Notes never hold secrets; they appear in
 * the diagnostics verdict.
 *
 * @param evidence the evidence inside
 * @param container {@code "bare"} or the container name, e.g. {@code "ratls-cert"}
 * @param notes extra facts about the container, sorted by key
 */
public record DecodedEvidence(Evidence evidence, String container, Map<String, String> notes) {
  public DecodedEvidence {
    Objects.requireNonNull(evidence, "evidence");
    Objects.requireNonNull(container, "container");
    notes = notes == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(notes));
  }

  /** Bare evidence with no container notes. */
  public static DecodedEvidence bare(Evidence evidence) {
    return new DecodedEvidence(evidence, "bare", Map.of());
  }
}
