package dev.ccserve.attestation.dcap;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.TcbStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Parsed TCB Info v2/v3 (SGX or TDX). Parse only after the signature over the text verified. */
final class TcbInfo {
  static final class Level {
    final int[] sgxSvns;
    final int pceSvn;
    final int[] tdxSvns; // null when absent
    final TcbStatus status;
    final String tcbDate;
    final List<String> advisoryIds;

    Level(int[] sgxSvns, int pceSvn, int[] tdxSvns, TcbStatus status, String tcbDate,
        List<String> advisoryIds) {
      this.sgxSvns = sgxSvns;
      this.pceSvn = pceSvn;
      this.tdxSvns = tdxSvns;
      this.status = status;
      this.tcbDate = tcbDate;
      this.advisoryIds = List.copyOf(advisoryIds);
    }
  }

  /** A TDX module identity (v3 TDX): mrsigner, attributes, and levels by isvsvn. */
  static final class ModuleIdentity {
    final String id;
    final byte[] mrSigner;
    final byte[] attributes;
    final byte[] attributesMask;
    final List<IsvLevel> levels;

    ModuleIdentity(String id, byte[] mrSigner, byte[] attributes, byte[] attributesMask,
        List<IsvLevel> levels) {
      this.id = id;
      this.mrSigner = mrSigner;
      this.attributes = attributes;
      this.attributesMask = attributesMask;
      this.levels = levels;
    }
  }

  /** A level keyed by a single isvsvn (QE identity, TDX module identity). */
  static final class IsvLevel {
    final int isvSvn;
    final TcbStatus status;
    final String tcbDate;
    final List<String> advisoryIds;

    IsvLevel(int isvSvn, TcbStatus status, String tcbDate, List<String> advisoryIds) {
      this.isvSvn = isvSvn;
      this.status = status;
      this.tcbDate = tcbDate;
      this.advisoryIds = List.copyOf(advisoryIds);
    }
  }

  final String id;
  final int version;
  final Instant issueDate;
  final Instant nextUpdate;
  final String fmspc;
  final String pceId;
  final int evaluationDataNumber;
  final List<Level> levels;
  final ModuleIdentity tdxModule; // null unless TDX
  final List<ModuleIdentity> tdxModuleIdentities;

  private TcbInfo(String id, int version, Instant issueDate, Instant nextUpdate, String fmspc,
      String pceId, int evaluationDataNumber, List<Level> levels, ModuleIdentity tdxModule,
      List<ModuleIdentity> tdxModuleIdentities) {
    this.id = id;
    this.version = version;
    this.issueDate = issueDate;
    this.nextUpdate = nextUpdate;
    this.fmspc = fmspc;
    this.pceId = pceId;
    this.evaluationDataNumber = evaluationDataNumber;
    this.levels = levels;
    this.tdxModule = tdxModule;
    this.tdxModuleIdentities = tdxModuleIdentities;
  }

  static TcbInfo parse(String text) throws AttestationException {
    Json j = new Json("tcb_info");
    JsonNode n = j.parse(text);
    int version = j.integer(n, "version");
    if (version != 2 && version != 3) {
      throw j.fail("expected TCB Info version 2 or 3, found " + version);
    }
    String id = version == 3 ? j.text(n, "id") : "SGX";
    List<Level> levels = new ArrayList<>();
    for (JsonNode l : j.array(n, "tcbLevels")) {
      levels.add(level(j, l, version));
    }
    if (levels.isEmpty()) {
      throw j.fail("expected at least one TCB level");
    }
    ModuleIdentity module = null;
    List<ModuleIdentity> identities = new ArrayList<>();
    if (n.has("tdxModule")) {
      JsonNode m = n.get("tdxModule");
      module = new ModuleIdentity("", j.hex(m, "mrsigner"), j.hex(m, "attributes"),
          j.hex(m, "attributesMask"), List.of());
    }
    if (n.has("tdxModuleIdentities")) {
      for (JsonNode m : j.array(n, "tdxModuleIdentities")) {
        List<IsvLevel> ml = new ArrayList<>();
        for (JsonNode l : j.array(m, "tcbLevels")) {
          ml.add(isvLevel(j, l));
        }
        identities.add(new ModuleIdentity(j.text(m, "id"), j.hex(m, "mrsigner"),
            j.hex(m, "attributes"), j.hex(m, "attributesMask"), ml));
      }
    }
    return new TcbInfo(id, version, j.instant(n, "issueDate"), j.instant(n, "nextUpdate"),
        j.text(n, "fmspc"), j.text(n, "pceId"), j.integer(n, "tcbEvaluationDataNumber"),
        List.copyOf(levels), module, List.copyOf(identities));
  }

  private static Level level(Json j, JsonNode l, int version) throws AttestationException {
    JsonNode tcb = j.node(l, "tcb");
    int[] sgx = new int[16];
    int[] tdx = null;
    if (version == 3) {
      JsonNode comps = j.array(tcb, "sgxtcbcomponents");
      components(j, comps, sgx);
      if (tcb.has("tdxtcbcomponents")) {
        tdx = new int[16];
        components(j, j.array(tcb, "tdxtcbcomponents"), tdx);
      }
    } else {
      for (int i = 0; i < 16; i++) {
        sgx[i] = j.integer(tcb, String.format("sgxtcbcomp%02dsvn", i + 1));
      }
    }
    return new Level(sgx, j.integer(tcb, "pcesvn"), tdx, j.status(l), l.path("tcbDate").asText(""),
        j.advisories(l));
  }

  private static void components(Json j, JsonNode comps, int[] out) throws AttestationException {
    if (comps.size() != 16) {
      throw j.fail("expected 16 TCB components, found " + comps.size());
    }
    for (int i = 0; i < 16; i++) {
      out[i] = j.integer(comps.get(i), "svn");
    }
  }

  static IsvLevel isvLevel(Json j, JsonNode l) throws AttestationException {
    return new IsvLevel(j.integer(j.node(l, "tcb"), "isvsvn"), j.status(l),
        l.path("tcbDate").asText(""), j.advisories(l));
  }
}
