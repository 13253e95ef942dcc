package dev.ccserve.server.core;

import java.util.Objects;

/** Names one version of one servable stream (a model): {@code {name, version}}. */
public record ServableId(String name, long version) implements Comparable<ServableId> {
  public ServableId {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("servable name must not be empty");
    }
    if (version < 0) {
      throw new IllegalArgumentException("version must be >= 0, found " + version);
    }
  }

  @Override
  public int compareTo(ServableId o) {
    int c = name.compareTo(o.name);
    return c != 0 ? c : Long.compare(version, o.version);
  }

  @Override
  public String toString() {
    return "{name: " + name + " version: " + version + "}";
  }
}
