package dev.ccserve.keybroker;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.EvidenceClaims;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One line of the audit log, built step by step as a request is handled. Holds only names,
 * measurements, digests and reasons: never secret bytes or whole quotes. Not thread-safe (one
 * request owns it).
 */
final class AuditEvent {
  static final String RELEASED = "released";
  static final String DENIED = "denied";
  static final String ISSUED = "issued";

  private final Map<String, Object> fields = new LinkedHashMap<>();

  private AuditEvent(Instant time, String peer, String protocol, String method) {
    fields.put("time", time.toString());
    fields.put("peer", peer);
    fields.put("protocol", protocol);
    fields.put("method", method);
  }

  static AuditEvent of(Instant time, String peer, String protocol, String method) {
    return new AuditEvent(Objects.requireNonNull(time), peer == null ? "unknown" : peer, protocol, method);
  }

  /** What the verifier established (also recorded for denials after verification). */
  AuditEvent claims(EvidenceClaims c) {
    fields.put("tee", c.tee().name());
    fields.put("measurements", c.measurements());
    c.isvProdId().ifPresent(v -> fields.put("isv_prod_id", v));
    c.isvSvn().ifPresent(v -> fields.put("isv_svn", v));
    fields.put("debug", c.debug());
    fields.put("simulated", c.simulated());
    fields.put("tcb_status", c.tcbStatus().intelName());
    if (!c.advisoryIds().isEmpty()) {
      fields.put("advisory_ids", c.advisoryIds());
    }
    fields.put("evidence_sha256", c.evidenceDigest());
    return this;
  }

  AuditEvent evidenceDigest(String sha256) {
    fields.putIfAbsent("evidence_sha256", sha256);
    return this;
  }

  AuditEvent nonce(boolean present) {
    fields.put("nonce", present ? "fresh" : "none");
    return this;
  }

  AuditEvent entry(String policyEntry) {
    fields.put("policy_entry", policyEntry);
    return this;
  }

  AuditEvent released(List<String> secretNames) {
    fields.put("decision", RELEASED);
    fields.put("secrets", List.copyOf(secretNames));
    return this;
  }

  AuditEvent issued(String serialHex, List<String> sans, Instant notAfter) {
    fields.put("decision", ISSUED);
    fields.put("cert_serial", serialHex);
    fields.put("cert_sans", List.copyOf(sans));
    fields.put("cert_not_after", notAfter.toString());
    return this;
  }

  AuditEvent denied(AttestationException e) {
    return denied(e.reason().name(), e.step(), e.detail());
  }

  AuditEvent denied(String reason, String step, String detail) {
    fields.put("decision", DENIED);
    fields.put("reason", reason);
    fields.put("step", step);
    fields.put("detail", detail);
    return this;
  }

  Object get(String field) {
    return fields.get(field);
  }

  Map<String, Object> fields() {
    return fields;
  }

  @Override
  public String toString() {
    return "AuditEvent" + fields;
  }
}
