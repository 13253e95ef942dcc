package dev.ccserve.attestation.policy;

import dev.ccserve.attestation.TcbStatus;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Reference values a relying party (the key broker, the diagnostics CLI) requires of verified
 * evidence. One section per TEE type; evidence from a TEE whose section is null is denied. Strict by
 * default: only {@link TcbStatus#UP_TO_DATE}, no debug enclaves, no simulated evidence.
 *
 * <p>Immutable and thread-safe. Load from YAML/JSON with {@link ReferencePolicyLoader}.
 *
 * @param name a label for audit logs and errors
 * @param sgx SGX reference values, or null to deny SGX evidence
 * @param tdx TDX reference values, or null to deny TDX evidence
 * @param snp SEV-SNP reference values, or null to deny SNP evidence
 * @param acceptedTcbStatuses TCB statuses accepted (non-empty; {@code REVOKED} is never accepted)
 * @param deniedAdvisoryIds advisory IDs that cause rejection even when the status is accepted
 * @param allowDebugEnclavesInsecure DANGEROUS: accept debug enclaves/TDs/guests whose memory the
 *     host can read
 * @param trustSimulatedInsecure DANGEROUS: accept evidence from the simulated TEE, which proves
 *     nothing about hardware
 * @param reportDataPrefixHex required prefix of report_data (lower-case hex), empty for none
 */
public record ReferencePolicy(
    String name,
    SgxReference sgx,
    TdxReference tdx,
    SnpReference snp,
    Set<TcbStatus> acceptedTcbStatuses,
    Set<String> deniedAdvisoryIds,
    boolean allowDebugEnclavesInsecure,
    boolean trustSimulatedInsecure,
    String reportDataPrefixHex) {

  /** The default accepted TCB statuses: UpToDate only. */
  public static final Set<TcbStatus> DEFAULT_TCB_STATUSES = Set.of(TcbStatus.UP_TO_DATE);

  public ReferencePolicy {
    Objects.requireNonNull(name, "name");
    if (sgx == null && tdx == null && snp == null) {
      throw new IllegalArgumentException(
          "policy \"" + name + "\": expected at least one of sgx, tdx, snp; found none");
    }
    acceptedTcbStatuses =
        acceptedTcbStatuses == null || acceptedTcbStatuses.isEmpty()
            ? DEFAULT_TCB_STATUSES
            : Set.copyOf(EnumSet.copyOf(acceptedTcbStatuses));
    if (acceptedTcbStatuses.contains(TcbStatus.REVOKED)) {
      throw new IllegalArgumentException(
          "policy \"" + name + "\": tcb status Revoked can never be accepted");
    }
    deniedAdvisoryIds = deniedAdvisoryIds == null ? Set.of() : Set.copyOf(deniedAdvisoryIds);
    reportDataPrefixHex =
        reportDataPrefixHex == null || reportDataPrefixHex.isEmpty()
            ? ""
            : Hex.normalise("report_data_prefix", reportDataPrefixHex, -1);
    if (reportDataPrefixHex.length() > 128) {
      throw new IllegalArgumentException(
          "report_data_prefix: expected at most 64 bytes, found " + reportDataPrefixHex.length() / 2);
    }
  }

  /** A strict policy for SGX only, with defaults for everything else. */
  public static ReferencePolicy sgxOnly(String name, SgxReference sgx) {
    return new ReferencePolicy(name, sgx, null, null, null, null, false, false, "");
  }

  /** A strict policy for TDX only, with defaults for everything else. */
  public static ReferencePolicy tdxOnly(String name, TdxReference tdx) {
    return new ReferencePolicy(name, null, tdx, null, null, null, false, false, "");
  }

  /** A strict policy for SEV-SNP only, with defaults for everything else. */
  public static ReferencePolicy snpOnly(String name, SnpReference snp) {
    return new ReferencePolicy(name, null, null, snp, null, null, false, false, "");
  }

  /** A copy with different accepted TCB statuses. */
  public ReferencePolicy withAcceptedTcbStatuses(Set<TcbStatus> statuses) {
    return new ReferencePolicy(name, sgx, tdx, snp, statuses, deniedAdvisoryIds,
        allowDebugEnclavesInsecure, trustSimulatedInsecure, reportDataPrefixHex);
  }

  /** DANGEROUS: a copy that accepts debug enclaves. */
  public ReferencePolicy withAllowDebugEnclavesInsecure(boolean allow) {
    return new ReferencePolicy(name, sgx, tdx, snp, acceptedTcbStatuses, deniedAdvisoryIds,
        allow, trustSimulatedInsecure, reportDataPrefixHex);
  }

  /** DANGEROUS: a copy that accepts simulated evidence. */
  public ReferencePolicy withTrustSimulatedInsecure(boolean trust) {
    return new ReferencePolicy(name, sgx, tdx, snp, acceptedTcbStatuses, deniedAdvisoryIds,
        allowDebugEnclavesInsecure, trust, reportDataPrefixHex);
  }

  /** A copy requiring report_data to start with the given hex. */
  public ReferencePolicy withReportDataPrefixHex(String hex) {
    return new ReferencePolicy(name, sgx, tdx, snp, acceptedTcbStatuses, deniedAdvisoryIds,
        allowDebugEnclavesInsecure, trustSimulatedInsecure, hex);
  }
}
