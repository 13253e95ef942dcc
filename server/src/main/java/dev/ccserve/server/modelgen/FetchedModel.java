package dev.ccserve.server.modelgen;

import java.net.URI;
import java.util.Objects;

/**
 * What {@link ModelFetcher#fetch} downloaded and wrote. Immutable.
 *
 * @param source the URI downloaded
 * @param sha256 lower-case hex SHA-256 of the downloaded frozen graph (print it and pin it: the
 *     seed publishes no checksum)
 * @param bytes size of the download
 * @param model the SavedModel written by {@link GraphDefConverter}
 */
public record FetchedModel(URI source, String sha256, long bytes, ConvertedModel model) {
  public FetchedModel {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(model, "model");
    if (!sha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("sha256 must be 64 lower-case hex digits");
    }
  }
}
