package dev.ccserve.attestation.policy;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reference values for AMD SEV-SNP guests. {@code measurement} must be non-empty. Guest policy bits
 * are checked against the claims attribute {@code "policy"} (hex u64, e.g. {@code
 * "0x00000000000b0000"}): every bit of {@code policyBitsRequired} must be set and every bit of
 * {@code policyBitsForbidden} clear. The DEBUG bit is governed by the policy-wide debug switch, not
 * here.
 *
 * @param measurement allowed launch measurements (96 hex chars each)
 * @param others further measurement name ({@code host_data}, {@code id_key_digest}...) to allowed
 *     values
 * @param minGuestSvn minimum guest SVN (inclusive)
 * @param policyBitsRequired guest policy bits that must be set
 * @param policyBitsForbidden guest policy bits that must be clear
 */
public record SnpReference(
    Set<String> measurement,
    Map<String, Set<String>> others,
    int minGuestSvn,
    long policyBitsRequired,
    long policyBitsForbidden) {
  public SnpReference {
    measurement = Hex.normaliseSet("snp.measurement", measurement, 48);
    if (measurement.isEmpty()) {
      throw new IllegalArgumentException("snp.measurement: expected at least one value, found none");
    }
    Map<String, Set<String>> m = new TreeMap<>();
    if (others != null) {
      for (Map.Entry<String, Set<String>> e : others.entrySet()) {
        Set<String> values = Hex.normaliseSet("snp." + e.getKey(), e.getValue(), -1);
        if (values.isEmpty()) {
          throw new IllegalArgumentException(
              "snp." + e.getKey() + ": expected at least one value, found none");
        }
        m.put(e.getKey(), values);
      }
    }
    others = Map.copyOf(m);
    if (minGuestSvn < 0) {
      throw new IllegalArgumentException("snp.min_guest_svn: expected >= 0, found " + minGuestSvn);
    }
    if ((policyBitsRequired & policyBitsForbidden) != 0) {
      throw new IllegalArgumentException(
          "snp: policy_bits_required and policy_bits_forbidden overlap");
    }
  }
}
