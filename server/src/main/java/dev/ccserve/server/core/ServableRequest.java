package dev.ccserve.server.core;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * What a request asks for: the latest available version of a model, or a specific one. Labels are
 * resolved to specific versions before a request is made. {@link #toString()} prints TF Serving's
 * {@code Latest(m)} / {@code Specific(m, v)} forms, which clients match on.
 */
public record ServableRequest(String name, OptionalLong version) {
  public ServableRequest {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
  }

  public static ServableRequest latest(String name) {
    return new ServableRequest(name, OptionalLong.empty());
  }

  public static ServableRequest specific(String name, long version) {
    return new ServableRequest(name, OptionalLong.of(version));
  }

  @Override
  public String toString() {
    return version.isPresent()
        ? "Specific(" + name + ", " + version.getAsLong() + ")"
        : "Latest(" + name + ")";
  }
}
