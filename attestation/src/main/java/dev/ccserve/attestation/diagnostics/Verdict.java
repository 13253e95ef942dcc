package dev.ccserve.attestation.diagnostics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The outcome of diagnosing one piece of evidence, serialisable to JSON with snake_case keys:
 * {@code accepted}, {@code tee}, {@code format}, {@code measurements}, {@code tcb_status}, {@code
 * advisory_ids}, {@code simulated}, {@code reason}, {@code step}, {@code message}, {@code
 * collateral_expiry}, {@code report_data}, {@code evidence_sha256}, {@code container}, {@code
 * notes}, {@code attributes}. Fields that are unknown (e.g. measurements when parsing failed) are
 * null or empty. Holds no secrets (measurements and report data are public values).
 *
 * @param accepted true only when verification and the policy (or the strict baseline) passed
 * @param tee TEE type, or null when undetected
 * @param format evidence format, or null
 * @param measurements measurement name to hex
 * @param tcbStatus Intel-style TCB status string, or null
 * @param advisoryIds advisory IDs
 * @param simulated true for simulated-TEE evidence
 * @param reason the failure reason, null when accepted
 * @param step the failing step, null when accepted
 * @param message the failure message, null when accepted
 * @param collateralExpiry ISO-8601 instant, or null
 * @param reportDataHex report data hex, or null
 * @param evidenceSha256 SHA-256 of the evidence, or null
 * @param container where the evidence was found ({@code bare}, {@code ratls-cert}...), or null
 * @param notes decoder notes
 * @param attributes extra verified attributes
 */
public record Verdict(
    boolean accepted,
    String tee,
    String format,
    Map<String, String> measurements,
    String tcbStatus,
    List<String> advisoryIds,
    boolean simulated,
    String reason,
    String step,
    String message,
    String collateralExpiry,
    String reportDataHex,
    String evidenceSha256,
    String container,
    Map<String, String> notes,
    Map<String, String> attributes) {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public Verdict {
    measurements = measurements == null ? Map.of() : new TreeMap<>(measurements);
    advisoryIds = advisoryIds == null ? List.of() : List.copyOf(advisoryIds);
    notes = notes == null ? Map.of() : new TreeMap<>(notes);
    attributes = attributes == null ? Map.of() : new TreeMap<>(attributes);
  }

  /** Pretty-printed JSON with snake_case keys in a fixed order. */
  public String toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("accepted", accepted);
    o.put("tee", tee);
    o.put("format", format);
    o.put("tcb_status", tcbStatus);
    ArrayNode adv = o.putArray("advisory_ids");
    advisoryIds.forEach(adv::add);
    o.put("simulated", simulated);
    o.put("reason", reason);
    o.put("step", step);
    o.put("message", message);
    o.put("collateral_expiry", collateralExpiry);
    ObjectNode m = o.putObject("measurements");
    measurements.forEach(m::put);
    o.put("report_data", reportDataHex);
    o.put("evidence_sha256", evidenceSha256);
    o.put("container", container);
    ObjectNode n = o.putObject("notes");
    notes.forEach(n::put);
    ObjectNode a = o.putObject("attributes");
    attributes.forEach(a::put);
    try {
      return JSON.writeValueAsString(o);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
