package dev.ccserve.keybroker;

import java.util.List;
import java.util.Objects;

/**
 * The broker's whole policy: entries tried in order; the first whose reference values accept a
 * client's verified claims decides what that client may get.
 *
 * @param source where it was loaded from (for logs)
 * @param entries at least one entry, names unique
 */
record BrokerPolicy(String source, List<PolicyEntry> entries) {
  BrokerPolicy {
    Objects.requireNonNull(source, "source");
    entries = List.copyOf(entries);
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("entries: expected at least one entry, found none");
    }
  }
}
