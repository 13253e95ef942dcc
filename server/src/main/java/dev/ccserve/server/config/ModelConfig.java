package dev.ccserve.server.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One served model: its name, the base path holding numeric version directories, its version
 * policy and version labels. Converted at once from TF Serving's {@code ModelConfig} text format
 * or from {@code --model_name/--model_base_path}.
 */
public record ModelConfig(
    String name, Path basePath, VersionPolicy versionPolicy, Map<String, Long> versionLabels) {
  private static final Pattern LABEL = Pattern.compile("[a-zA-Z0-9_]+");

  public ModelConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(basePath, "basePath");
    Objects.requireNonNull(versionPolicy, "versionPolicy");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("model name must not be empty");
    }
    if (name.contains("/") || name.contains(":")) {
      throw new IllegalArgumentException(
          "model name must not contain '/' or ':', found \"" + name + "\"");
    }
    versionLabels = Map.copyOf(versionLabels);
    for (String label : versionLabels.keySet()) {
      if (!LABEL.matcher(label).matches()) {
        throw new IllegalArgumentException(
            "version label must match [a-zA-Z0-9_]+, found \"" + label + "\" in model " + name);
      }
    }
  }

  public static ModelConfig of(String name, Path basePath) {
    return new ModelConfig(name, basePath, VersionPolicy.latest(), Map.of());
  }
}
