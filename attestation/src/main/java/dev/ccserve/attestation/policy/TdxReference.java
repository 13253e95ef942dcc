package dev.ccserve.attestation.policy;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reference values for TDX trust domains. {@code mrTd} must be non-empty. {@code others} maps
 * further measurement names ({@code rtmr0}..{@code rtmr3}, {@code mr_config_id}, {@code mr_owner},
 * {@code mr_owner_config}, {@code mr_seam}...) to their allowed values; names not listed are not
 * checked. Hex values are normalised to lower case.
 *
 * @param mrTd allowed MRTD values (96 hex chars each)
 * @param others further measurement name to allowed values
 */
public record TdxReference(Set<String> mrTd, Map<String, Set<String>> others) {
  public TdxReference {
    mrTd = Hex.normaliseSet("tdx.mr_td", mrTd, 48);
    if (mrTd.isEmpty()) {
      throw new IllegalArgumentException("tdx.mr_td: expected at least one value, found none");
    }
    Map<String, Set<String>> m = new TreeMap<>();
    if (others != null) {
      for (Map.Entry<String, Set<String>> e : others.entrySet()) {
        Set<String> values = Hex.normaliseSet("tdx." + e.getKey(), e.getValue(), 48);
        if (values.isEmpty()) {
          throw new IllegalArgumentException(
              "tdx." + e.getKey() + ": expected at least one value, found none");
        }
        m.put(e.getKey(), values);
      }
    }
    others = Map.copyOf(m);
  }
}
