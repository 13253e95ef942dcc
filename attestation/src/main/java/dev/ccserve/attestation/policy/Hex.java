package dev.ccserve.attestation.policy;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/** Hex normalisation and validation for reference values. */
final class Hex {
  private Hex() {}

  /** Lower-cases and validates each value; {@code bytes < 0} allows any even length. */
  static Set<String> normaliseSet(String field, Set<String> values, int bytes) {
    Set<String> out = new TreeSet<>();
    if (values == null) {
      return Set.of();
    }
    for (String v : values) {
      out.add(normalise(field, v, bytes));
    }
    return Set.copyOf(out);
  }

  static String normalise(String field, String v, int bytes) {
    if (v == null) {
      throw new IllegalArgumentException(field + ": expected hex, found null");
    }
    String s = v.trim().toLowerCase(Locale.ROOT);
    if (s.startsWith("0x")) {
      s = s.substring(2);
    }
    if (!s.matches("[0-9a-f]*") || s.length() % 2 != 0) {
      throw new IllegalArgumentException(
          field + ": expected an even number of hex digits, found \"" + abbreviate(v) + "\"");
    }
    if (bytes >= 0 && s.length() != 2 * bytes) {
      throw new IllegalArgumentException(
          field + ": expected " + (2 * bytes) + " hex digits, found " + s.length());
    }
    return s;
  }

  private static String abbreviate(String v) {
    return v.length() > 40 ? v.substring(0, 37) + "..." : v;
  }
}
