package dev.ccserve.server.modelgen;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What {@link ModelGenerator#generate} wrote: the published version directory and the size and
 * cost of the model, for the CLI to print. Immutable.
 *
 * @param arch the architecture
 * @param versionDir {@code <exportDir>/<version>}, a complete SavedModel
 * @param version the version number (directory name)
 * @param seed the seed the weights were derived from
 * @param statistics parameter, batch-norm statistic and MAC counts
 */
public record GeneratedModel(
    Arch arch, Path versionDir, long version, long seed, ModelStatistics statistics) {
  public GeneratedModel {
    Objects.requireNonNull(arch, "arch");
    Objects.requireNonNull(versionDir, "versionDir");
    Objects.requireNonNull(statistics, "statistics");
    if (version < 0) {
      throw new IllegalArgumentException("version must be >= 0, got " + version);
    }
  }
}
