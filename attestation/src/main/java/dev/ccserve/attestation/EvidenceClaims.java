package dev.ccserve.attestation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * What an {@link EvidenceVerifier} established cryptographically about a piece of evidence: the
 * signatures chain to a trusted root, and these are the values the TEE reported. They are NOT yet
 * approved by any reference-value policy; only the policy gate turns them into {@code
 * VerifiedClaims} (package {@code dev.ccserve.attestation.policy}).
 *
 * <p>Measurement names are lower-case snake case and values lower-case hex: SGX {@code mr_enclave},
 * {@code mr_signer}, {@code config_id}...; TDX {@code mr_td}, {@code rtmr0}..{@code rtmr3}, {@code
 * mr_seam}, {@code mr_signer_seam}, {@code mr_config_id}, {@code mr_owner}, {@code
 * mr_owner_config}...; SNP {@code measurement}, {@code host_data}, {@code id_key_digest}... Extra
 * non-measurement facts (FMSPC, attributes, policy bits, TCB SVNs) go in {@link #attributes()}.
 *
 * <p>Immutable and thread-safe; {@link #reportData()} returns a copy. Build with {@link
 * #builder(TeeType, EvidenceFormat)}.
 */
public final class EvidenceClaims {
  private final TeeType tee;
  private final EvidenceFormat format;
  private final Map<String, String> measurements;
  private final Integer isvProdId;
  private final Integer isvSvn;
  private final byte[] reportData;
  private final boolean debug;
  private final TcbStatus tcbStatus;
  private final List<String> advisoryIds;
  private final boolean simulated;
  private final Instant collateralExpiry;
  private final Map<String, String> attributes;
  private final String evidenceDigest;

  private EvidenceClaims(Builder b) {
    this.tee = b.tee;
    this.format = b.format;
    this.measurements = Collections.unmodifiableMap(new TreeMap<>(b.measurements));
    this.isvProdId = b.isvProdId;
    this.isvSvn = b.isvSvn;
    this.reportData = b.reportData == null ? new byte[0] : b.reportData.clone();
    this.debug = b.debug;
    this.tcbStatus = Objects.requireNonNull(b.tcbStatus, "tcbStatus");
    this.advisoryIds = List.copyOf(b.advisoryIds);
    this.simulated = b.simulated;
    this.collateralExpiry = b.collateralExpiry;
    this.attributes = Collections.unmodifiableMap(new TreeMap<>(b.attributes));
    this.evidenceDigest = b.evidenceDigest;
  }

  public static Builder builder(TeeType tee, EvidenceFormat format) {
    return new Builder(tee, format);
  }

  public TeeType tee() {
    return tee;
  }

  public EvidenceFormat format() {
    return format;
  }

  /** Measurement name to lower-case hex value; unmodifiable, sorted by name. */
  public Map<String, String> measurements() {
    return measurements;
  }

  /** A single measurement by name. */
  public Optional<String> measurement(String name) {
    return Optional.ofNullable(measurements.get(name));
  }

  /** SGX ISVPRODID of the enclave (absent for TDX and SNP). */
  public OptionalInt isvProdId() {
    return isvProdId == null ? OptionalInt.empty() : OptionalInt.of(isvProdId);
  }

  /** SGX ISVSVN of the enclave (absent for TDX; SNP verifiers may leave it absent). */
  public OptionalInt isvSvn() {
    return isvSvn == null ? OptionalInt.empty() : OptionalInt.of(isvSvn);
  }

  /** A copy of the report data (64 bytes for SGX/TDX/SNP). */
  public byte[] reportData() {
    return reportData.clone();
  }

  /** Lower-case hex of the report data. */
  public String reportDataHex() {
    return HexFormat.of().formatHex(reportData);
  }

  /** True when the enclave/TD/guest runs in debug mode (memory readable by the host). */
  public boolean debug() {
    return debug;
  }

  /** The merged platform TCB status (including the QE's status for DCAP). */
  public TcbStatus tcbStatus() {
    return tcbStatus;
  }

  /** Intel/AMD advisory IDs that apply to the matched TCB level, e.g. {@code INTEL-SA-00615}. */
  public List<String> advisoryIds() {
    return advisoryIds;
  }

  /** True when the evidence chains to the simulated (INSECURE) root, not to a vendor root. */
  public boolean simulated() {
    return simulated;
  }

  /**
   * The earliest instant at which some collateral used in verification (CRL nextUpdate, TCB Info /
   * QE Identity nextUpdate, certificate notAfter) expires; {@code null} when the verifier has no
   * such notion.
   */
  public Instant collateralExpiry() {
    return collateralExpiry;
  }

  /** Extra facts (FMSPC, attributes, TCB SVNs, policy bits), sorted by name; unmodifiable. */
  public Map<String, String> attributes() {
    return attributes;
  }

  /** SHA-256 hex of the evidence these claims came from (for audit logs), or empty string. */
  public String evidenceDigest() {
    return evidenceDigest == null ? "" : evidenceDigest;
  }

  @Override
  public String toString() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("tee", tee);
    m.put("format", format);
    m.put("measurements", measurements);
    m.put("tcbStatus", tcbStatus);
    m.put("advisoryIds", advisoryIds);
    m.put("debug", debug);
    m.put("simulated", simulated);
    m.put("collateralExpiry", collateralExpiry);
    m.put("evidenceDigest", evidenceDigest);
    return "EvidenceClaims" + m;
  }

  /** Mutable builder; not thread-safe. */
  public static final class Builder {
    private final TeeType tee;
    private final EvidenceFormat format;
    private final Map<String, String> measurements = new TreeMap<>();
    private Integer isvProdId;
    private Integer isvSvn;
    private byte[] reportData;
    private boolean debug;
    private TcbStatus tcbStatus = TcbStatus.UP_TO_DATE;
    private final List<String> advisoryIds = new ArrayList<>();
    private boolean simulated;
    private Instant collateralExpiry;
    private final Map<String, String> attributes = new TreeMap<>();
    private String evidenceDigest;

    private Builder(TeeType tee, EvidenceFormat format) {
      this.tee = Objects.requireNonNull(tee, "tee");
      this.format = Objects.requireNonNull(format, "format");
      if (format.tee() != tee) {
        throw new IllegalArgumentException("format " + format + " is not a " + tee + " format");
      }
    }

    public Builder measurement(String name, byte[] value) {
      return measurement(name, HexFormat.of().formatHex(value));
    }

    public Builder measurement(String name, String hex) {
      measurements.put(name, hex.toLowerCase(Locale.ROOT));
      return this;
    }

    public Builder isvProdId(int v) {
      this.isvProdId = v;
      return this;
    }

    public Builder isvSvn(int v) {
      this.isvSvn = v;
      return this;
    }

    public Builder reportData(byte[] v) {
      this.reportData = v.clone();
      return this;
    }

    public Builder debug(boolean v) {
      this.debug = v;
      return this;
    }

    public Builder tcbStatus(TcbStatus v) {
      this.tcbStatus = Objects.requireNonNull(v);
      return this;
    }

    public Builder advisoryIds(List<String> ids) {
      advisoryIds.clear();
      advisoryIds.addAll(ids);
      return this;
    }

    public Builder simulated(boolean v) {
      this.simulated = v;
      return this;
    }

    public Builder collateralExpiry(Instant v) {
      this.collateralExpiry = v;
      return this;
    }

    public Builder attribute(String name, String value) {
      attributes.put(name, value);
      return this;
    }

    public Builder evidenceDigest(String v) {
      this.evidenceDigest = v;
      return this;
    }

    public EvidenceClaims build() {
      return new EvidenceClaims(this);
    }
  }
}
