package dev.ccserve.server.modelgen;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Converts a frozen TensorFlow GraphDef (weights as constants) into a SavedModel, like the seed's
 * {@code model_graph_to_saved_model.py} ({@code ccserve model convert}): the graph is pruned to the
 * nodes the output depends on, imported, and exported to {@code <exportDir>/<version>/} with tag
 * {@code serve} and one signature {@code serving_default} (method
 * {@code tensorflow/serving/predict}) mapping alias {@code input} to {@code <inputNode>:0} and
 * alias {@code predict} to {@code <outputNode>:0}. The result is a lone {@code saved_model.pb}
 * holding the constants, as the seed produces. Unlike the seed, TensorFlow's Python-only
 * {@code optimize_for_inference} rewrite is not applied (grappler optimises at load time anyway).
 *
 * <p>Publishing is atomic and never replaces an existing version unless asked (see
 * {@link ModelGenerator}). Thread-safe (no mutable state).
 */
public final class GraphDefConverter {
  public static final String DEFAULT_INPUT_NODE = "input";
  public static final String DEFAULT_OUTPUT_NODE = "predict";
  public static final String INPUT_ALIAS = "input";
  public static final String OUTPUT_ALIAS = "predict";

  private static final Set<String> VARIABLE_OPS =
      Set.of("Variable", "VariableV2", "VarHandleOp", "AssignVariableOp", "ReadVariableOp");
  private static final int MAX_CANDIDATES = 8;

  /** Same as {@code convert(frozenGraphPb, exportDir, version, inputNode, outputNode, false)}. */
  public ConvertedModel convert(
      Path frozenGraphPb, Path exportDir, long version, String inputNode, String outputNode)
      throws ModelToolException {
    return convert(frozenGraphPb, exportDir, version, inputNode, outputNode, false);
  }

  /**
   * Converts {@code frozenGraphPb} into {@code exportDir/<version>/}.
   *
   * @param inputNode name of the input node ({@code input} in the seed model); a {@code :0}
   *     suffix is accepted
   * @param outputNode name of the output node ({@code predict} in the seed model)
   * @throws ModelToolException the file is missing or not a frozen GraphDef, a node is not found
   *     (the message lists candidates), the version exists, or the export failed
   */
  public ConvertedModel convert(
      Path frozenGraphPb,
      Path exportDir,
      long version,
      String inputNode,
      String outputNode,
      boolean overwrite)
      throws ModelToolException {
    Objects.requireNonNull(exportDir, "exportDir");
    String input = nodeName(inputNode);
    String output = nodeName(outputNode);
    VersionDirectories.checkTarget(exportDir, version, overwrite);
    GraphDef full = read(frozenGraphPb);
    Map<String, NodeDef> byName = new HashMap<>();
    for (NodeDef node : full.getNodeList()) {
      byName.put(node.getName(), node);
    }
    requireNode(byName, full, input, "input", frozenGraphPb);
    requireNode(byName, full, output, "output", frozenGraphPb);
    GraphDef pruned = prune(full, byName, output);
    requireFrozen(pruned, frozenGraphPb);
    if (pruned.getNodeList().stream().noneMatch(n -> n.getName().equals(input))) {
      throw new ModelToolException(
          "output node \"" + output + "\" does not depend on input node \"" + input + "\" in "
              + frozenGraphPb);
    }
    Path staging = VersionDirectories.createStaging(exportDir, version);
    export(pruned, input, output, staging, frozenGraphPb);
    Path versionDir = VersionDirectories.publish(staging, exportDir, version, overwrite);
    return new ConvertedModel(
        versionDir, version, input, output, pruned.getNodeCount(),
        full.getNodeCount() - pruned.getNodeCount());
  }

  private static String nodeName(String name) {
    Objects.requireNonNull(name, "node name");
    String trimmed = name.strip();
    if (trimmed.endsWith(":0")) {
      trimmed = trimmed.substring(0, trimmed.length() - 2);
    }
    if (trimmed.isEmpty()) {
      throw new IllegalArgumentException("node name must not be empty");
    }
    return trimmed;
  }

  static GraphDef read(Path file) throws ModelToolException {
    if (file == null || !Files.isRegularFile(file)) {
      throw new ModelToolException("frozen graph file not found: " + file);
    }
    GraphDef graph;
    long size;
    try (InputStream in = Files.newInputStream(file)) {
      size = Files.size(file);
      CodedInputStream coded = CodedInputStream.newInstance(in);
      coded.setSizeLimit(Integer.MAX_VALUE);
      graph = GraphDef.parseFrom(coded);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelToolException(
          "not a GraphDef: " + file + " is not a TensorFlow GraphDef protobuf ("
              + e.getMessage() + ")", e);
    } catch (IOException e) {
      throw new ModelToolException("cannot read " + file + ": " + e, e);
    }
    if (graph.getNodeCount() == 0) {
      String hint = file.getFileName().toString().equals("saved_model.pb")
          ? "; this looks like a SavedModel, which needs no conversion"
          : "";
      throw new ModelToolException(
          "not a GraphDef: " + file + " (" + size + " bytes) parses to a graph with no nodes;"
              + " expected a frozen TensorFlow graph (.pb)" + hint);
    }
    return graph;
  }

  private static void requireNode(
      Map<String, NodeDef> byName, GraphDef graph, String name, String role, Path file)
      throws ModelToolException {
    if (byName.containsKey(name)) {
      return;
    }
    List<String> candidates;
    if (role.equals("input")) {
      candidates = graph.getNodeList().stream()
          .filter(n -> n.getOp().startsWith("Placeholder"))
          .map(NodeDef::getName)
          .limit(MAX_CANDIDATES)
          .collect(Collectors.toList());
    } else {
      Set<String> consumed = new HashSet<>();
      for (NodeDef node : graph.getNodeList()) {
        for (String in : node.getInputList()) {
          consumed.add(inputNodeName(in));
        }
      }
      candidates = graph.getNodeList().stream()
          .map(NodeDef::getName)
          .filter(n -> !consumed.contains(n))
          .limit(MAX_CANDIDATES)
          .collect(Collectors.toList());
    }
    String kind = role.equals("input") ? "placeholders" : "unconsumed nodes";
    throw new ModelToolException(
        role + " node \"" + name + "\" not found in " + file + " (" + graph.getNodeCount()
            + " nodes); " + kind + ": " + candidates);
  }

  private static String inputNodeName(String input) {
    String name = input.startsWith("^") ? input.substring(1) : input;
    int colon = name.indexOf(':');
    return colon < 0 ? name : name.substring(0, colon);
  }

  /** Keeps only the nodes {@code output} depends on (data and control inputs), in file order. */
  private static GraphDef prune(GraphDef graph, Map<String, NodeDef> byName, String output) {
    Set<String> needed = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(output));
    while (!todo.isEmpty()) {
      String name = todo.pop();
      NodeDef node = byName.get(name);
      if (node == null || !needed.add(name)) {
        continue;
      }
      for (String in : node.getInputList()) {
        todo.push(inputNodeName(in));
      }
    }
    List<NodeDef> kept = new ArrayList<>();
    for (NodeDef node : graph.getNodeList()) {
      if (needed.contains(node.getName())) {
        kept.add(node);
      }
    }
    return graph.toBuilder().clearNode().addAllNode(kept).build();
  }

  private static void requireFrozen(GraphDef graph, Path file) throws ModelToolException {
    for (NodeDef node : graph.getNodeList()) {
      if (VARIABLE_OPS.contains(node.getOp())) {
        throw new ModelToolException(
            "not a frozen graph: " + file + " contains variable node \"" + node.getName()
                + "\" (" + node.getOp() + "); freeze it (variables to constants) first");
      }
    }
  }

  private static void export(
      GraphDef graphDef, String input, String output, Path staging, Path source)
      throws ModelToolException {
    try (Graph graph = new Graph()) {
      graph.importGraphDef(graphDef);
      GraphOperation in = graph.operationOrThrow(input);
      GraphOperation out = graph.operationOrThrow(output);
      Signature signature = Signature.builder()
          .key(ModelGenerator.SIGNATURE_KEY)
          .methodName(ModelGenerator.METHOD_NAME)
          .input(INPUT_ALIAS, in.output(0))
          .output(OUTPUT_ALIAS, out.output(0))
          .build();
      try (Session session = new Session(graph, ModelGenerator.defaultSessionConfig())) {
        SavedModelBundle.exporter(staging.toString())
            .withTags(ModelGenerator.TAG)
            .withFunction(SessionFunction.create(signature, session))
            .export();
      }
    } catch (IllegalArgumentException | TensorFlowException e) {
      VersionDirectories.deleteQuietly(staging);
      throw new ModelToolException("cannot import the GraphDef in " + source + ": "
          + e.getMessage(), e);
    } catch (IOException | IllegalStateException e) {
      VersionDirectories.deleteQuietly(staging);
      throw new ModelToolException("cannot export a SavedModel to " + staging + ": " + e, e);
    }
  }
}
