package dev.ccserve.server.modelgen;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What {@link SavedModelInspector} found in a SavedModel directory: sizes, and per meta graph its
 * tags and signatures with input/output aliases, tensor names, dtypes and shapes. Immutable.
 *
 * @param dir the version directory inspected
 * @param savedModelBytes size of {@code saved_model.pb}
 * @param variablesBytes total size of the files under {@code variables/} (0 when absent)
 * @param metaGraphs meta graphs in file order
 */
public record SavedModelInfo(
    Path dir, long savedModelBytes, long variablesBytes, List<MetaGraph> metaGraphs) {
  public SavedModelInfo {
    Objects.requireNonNull(dir, "dir");
    metaGraphs = List.copyOf(metaGraphs);
  }

  /** One meta graph: its tags and its signatures (sorted by key). */
  public record MetaGraph(List<String> tags, List<SignatureInfo> signatures) {
    public MetaGraph {
      tags = List.copyOf(tags);
      signatures = List.copyOf(signatures);
    }
  }

  /** One signature: key, method name, inputs and outputs (each sorted by alias). */
  public record SignatureInfo(
      String key, String methodName, List<TensorSpec> inputs, List<TensorSpec> outputs) {
    public SignatureInfo {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(methodName, "methodName");
      inputs = List.copyOf(inputs);
      outputs = List.copyOf(outputs);
    }
  }

  /**
   * One signature tensor.
   *
   * @param alias the signature key ({@code input}, {@code predict}, …)
   * @param tensorName the graph tensor ({@code input:0}); empty for composite/sparse tensors
   * @param dtype the TensorFlow dtype name ({@code DT_FLOAT})
   * @param shape dimensions, -1 for unknown; empty with {@code unknownRank} for unknown rank
   * @param unknownRank whether the rank is unknown
   */
  public record TensorSpec(
      String alias, String tensorName, String dtype, List<Long> shape, boolean unknownRank) {
    public TensorSpec {
      Objects.requireNonNull(alias, "alias");
      Objects.requireNonNull(tensorName, "tensorName");
      Objects.requireNonNull(dtype, "dtype");
      shape = List.copyOf(shape);
    }

    /** {@code [-1,224,224,3]}, or {@code unknown} for unknown rank. */
    public String shapeText() {
      return unknownRank
          ? "unknown"
          : shape.stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]"));
    }
  }

  /** Human-readable listing, one line per item, in the spirit of {@code saved_model_cli show}. */
  public String format() {
    StringBuilder out = new StringBuilder();
    out.append("SavedModel ").append(dir).append('\n');
    out.append("  saved_model.pb: ").append(savedModelBytes).append(" bytes; variables: ")
        .append(variablesBytes).append(" bytes\n");
    for (MetaGraph metaGraph : metaGraphs) {
      out.append("  meta graph tags: ").append(metaGraph.tags()).append('\n');
      for (SignatureInfo sig : metaGraph.signatures()) {
        out.append("    signature \"").append(sig.key()).append("\" method ")
            .append(sig.methodName().isEmpty() ? "(empty)" : sig.methodName()).append('\n');
        appendTensors(out, "input ", sig.inputs());
        appendTensors(out, "output", sig.outputs());
      }
    }
    return out.toString();
  }

  private static void appendTensors(StringBuilder out, String kind, List<TensorSpec> specs) {
    for (TensorSpec t : specs) {
      out.append("      ").append(kind).append(' ').append(t.alias()).append(": ")
          .append(t.dtype()).append(' ').append(t.shapeText());
      if (!t.tensorName().isEmpty()) {
        out.append(" (").append(t.tensorName()).append(')');
      }
      out.append('\n');
    }
  }
}
