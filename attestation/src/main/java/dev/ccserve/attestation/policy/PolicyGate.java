package dev.ccserve.attestation.policy;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.EvidenceClaims;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The only place where cryptographically verified {@link EvidenceClaims} become {@link
 * VerifiedClaims}: it applies a {@link ReferencePolicy} and either returns the accepted claims or
 * throws an {@link AttestationException} naming the failed check ({@code step} starts with {@code
 * "policy."}).
 *
 * <p>Check order: TEE section present, simulated, debug, TCB status, advisories, measurements,
 * SVNs, report data prefix. Immutable and thread-safe.
 */
public final class PolicyGate {
  private final ReferencePolicy policy;

  public PolicyGate(ReferencePolicy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  public ReferencePolicy policy() {
    return policy;
  }

  /**
   * The checks that need no reference values, with the strict defaults (UpToDate only, no debug,
   * simulated only when {@code trustSimulatedInsecure}). For diagnostics without a policy file; it
   * does NOT produce {@link VerifiedClaims} because no measurement was checked.
   */
  public static void checkBaseline(EvidenceClaims claims, boolean trustSimulatedInsecure)
      throws AttestationException {
    SgxReference anySigner = new SgxReference(java.util.Set.of(), java.util.Set.of("00".repeat(32)), null, 0);
    new PolicyGate(new ReferencePolicy("baseline", anySigner, null, null, null, null, false,
        trustSimulatedInsecure, "")).checkCommon(claims);
  }

  /** Applies the policy; returns the accepted claims or throws with the reason. */
  public VerifiedClaims check(EvidenceClaims claims) throws AttestationException {
    checkCommon(claims);
    switch (claims.tee()) {
      case SGX:
        checkSgx(claims);
        break;
      case TDX:
        checkTdx(claims);
        break;
      case SEV_SNP:
      default:
        checkSnp(claims);
        break;
    }
    checkReportData(claims);
    return new VerifiedClaims(claims, policy.name());
  }

  private void checkCommon(EvidenceClaims claims) throws AttestationException {
    Objects.requireNonNull(claims, "claims");
    if (claims.simulated() && !policy.trustSimulatedInsecure()) {
      throw deny(Reason.SIMULATED_NOT_TRUSTED, "simulated",
          "evidence comes from the simulated TEE (INSECURE, proves nothing about hardware) and"
              + " policy \"" + policy.name() + "\" does not set trust_simulated_insecure");
    }
    if (claims.debug() && !policy.allowDebugEnclavesInsecure()) {
      throw deny(Reason.DEBUG_NOT_ALLOWED, "debug",
          "expected a production " + claims.tee() + " (debug bit clear), found debug mode");
    }
    if (!policy.acceptedTcbStatuses().contains(claims.tcbStatus())) {
      throw deny(Reason.TCB_STATUS_REJECTED, "tcb_status",
          "expected TCB status in " + intelNames(policy.acceptedTcbStatuses()) + ", found "
              + claims.tcbStatus().intelName() + " (advisories " + claims.advisoryIds() + ")");
    }
    for (String id : claims.advisoryIds()) {
      if (policy.deniedAdvisoryIds().contains(id)) {
        throw deny(Reason.TCB_STATUS_REJECTED, "advisory", "advisory " + id + " is denied by policy");
      }
    }
  }

  private void checkSgx(EvidenceClaims c) throws AttestationException {
    SgxReference ref = policy.sgx();
    if (ref == null) {
      throw noSection("sgx");
    }
    checkSgxAttributes(c);
    checkOneOf("mr_enclave", ref.mrEnclave(), c);
    checkOneOf("mr_signer", ref.mrSigner(), c);
    if (ref.isvProdId() != null) {
      int found = c.isvProdId().orElse(-1);
      if (found != ref.isvProdId()) {
        throw deny(Reason.MEASUREMENT_MISMATCH, "isv_prod_id",
            "expected isv_prod_id " + ref.isvProdId() + ", found " + found);
      }
    }
    int svn = c.isvSvn().orElse(-1);
    if (svn < ref.minIsvSvn()) {
      throw deny(Reason.SVN_TOO_LOW, "isv_svn",
          "expected isv_svn >= " + ref.minIsvSvn() + ", found " + svn);
    }
  }

  /**
   * As Gramine's RA-TLS verifier: INIT and MODE64BIT set, PROVISION_KEY and EINITTOKEN_KEY clear
   * (DEBUG is handled separately). Reads the claims attribute {@code attributes} (16 bytes hex,
   * flags little-endian first).
   */
  private static void checkSgxAttributes(EvidenceClaims c) throws AttestationException {
    String hex = c.attributes().get("attributes");
    long flags;
    try {
      byte[] a = java.util.HexFormat.of().parseHex(hex);
      flags = 0;
      for (int i = 7; i >= 0; i--) {
        flags = (flags << 8) | (a[i] & 0xFF);
      }
    } catch (RuntimeException e) {
      throw deny(Reason.POLICY_DENIED, "attributes",
          "expected SGX attributes (16 bytes hex) in the claims, found " + (hex == null ? "none" : "invalid"));
    }
    long required = 0x1 | 0x4; // INIT, MODE64BIT
    long forbidden = 0x10 | 0x20; // PROVISION_KEY, EINITTOKEN_KEY
    if ((flags & required) != required || (flags & forbidden) != 0) {
      throw deny(Reason.POLICY_DENIED, "attributes", String.format(
          "expected enclave flags with INIT and MODE64BIT set and PROVISION_KEY, EINITTOKEN_KEY"
              + " clear, found 0x%x", flags));
    }
  }

  private void checkTdx(EvidenceClaims c) throws AttestationException {
    TdxReference ref = policy.tdx();
    if (ref == null) {
      throw noSection("tdx");
    }
    checkOneOf("mr_td", ref.mrTd(), c);
    for (Map.Entry<String, Set<String>> e : ref.others().entrySet()) {
      checkOneOf(e.getKey(), e.getValue(), c);
    }
  }

  private void checkSnp(EvidenceClaims c) throws AttestationException {
    SnpReference ref = policy.snp();
    if (ref == null) {
      throw noSection("snp");
    }
    checkOneOf("measurement", ref.measurement(), c);
    for (Map.Entry<String, Set<String>> e : ref.others().entrySet()) {
      checkOneOf(e.getKey(), e.getValue(), c);
    }
    if (ref.minGuestSvn() > 0) {
      int svn = c.isvSvn().orElse(-1);
      if (svn < ref.minGuestSvn()) {
        throw deny(Reason.SVN_TOO_LOW, "guest_svn",
            "expected guest_svn >= " + ref.minGuestSvn() + ", found " + svn);
      }
    }
    if (ref.policyBitsRequired() != 0 || ref.policyBitsForbidden() != 0) {
      String raw = c.attributes().get("policy");
      long bits;
      try {
        bits = Long.parseUnsignedLong(raw.startsWith("0x") ? raw.substring(2) : raw, 16);
      } catch (RuntimeException e) {
        throw deny(Reason.POLICY_DENIED, "guest_policy",
            "expected attribute \"policy\" as hex u64, found " + (raw == null ? "none" : raw));
      }
      if ((bits & ref.policyBitsRequired()) != ref.policyBitsRequired()
          || (bits & ref.policyBitsForbidden()) != 0) {
        throw deny(Reason.POLICY_DENIED, "guest_policy",
            String.format("expected guest policy with bits 0x%x set and 0x%x clear, found 0x%016x",
                ref.policyBitsRequired(), ref.policyBitsForbidden(), bits));
      }
    }
  }

  private void checkReportData(EvidenceClaims c) throws AttestationException {
    String prefix = policy.reportDataPrefixHex();
    if (!prefix.isEmpty() && !c.reportDataHex().startsWith(prefix)) {
      String found = c.reportDataHex();
      found = found.substring(0, Math.min(found.length(), prefix.length()));
      throw deny(Reason.REPORT_DATA_MISMATCH, "report_data",
          "expected report_data to start with " + prefix + ", found " + found);
    }
  }

  private static void checkOneOf(String name, Set<String> allowed, EvidenceClaims c)
      throws AttestationException {
    if (allowed.isEmpty()) {
      return;
    }
    String found = c.measurements().get(name);
    if (found == null || !allowed.contains(found)) {
      throw deny(Reason.MEASUREMENT_MISMATCH, name,
          "expected " + name + " in " + allowed + ", found " + (found == null ? "none" : found));
    }
  }

  private AttestationException noSection(String tee) {
    return deny(Reason.POLICY_DENIED, "tee",
        "policy \"" + policy.name() + "\" has no " + tee + " section; " + tee + " evidence is denied");
  }

  private static AttestationException deny(Reason reason, String check, String message) {
    return new AttestationException(reason, "policy." + check, message);
  }

  private static String intelNames(Set<dev.ccserve.attestation.TcbStatus> s) {
    return s.stream().map(dev.ccserve.attestation.TcbStatus::intelName).sorted().toList().toString();
  }
}
