package dev.ccserve.server.modelgen;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What {@link GraphDefConverter#convert} wrote. Immutable.
 *
 * @param versionDir {@code <exportDir>/<version>}, a SavedModel whose weights are constants in
 *     {@code saved_model.pb} (no {@code variables/} directory, like the seed's)
 * @param version the version number
 * @param inputNode the graph node mapped to signature input {@code input}
 * @param outputNode the graph node mapped to signature output {@code predict}
 * @param nodes nodes kept (those the output depends on)
 * @param removedNodes nodes of the frozen graph dropped because the output does not need them
 */
public record ConvertedModel(
    Path versionDir, long version, String inputNode, String outputNode, int nodes,
    int removedNodes) {
  public ConvertedModel {
    Objects.requireNonNull(versionDir, "versionDir");
    Objects.requireNonNull(inputNode, "inputNode");
    Objects.requireNonNull(outputNode, "outputNode");
  }
}
