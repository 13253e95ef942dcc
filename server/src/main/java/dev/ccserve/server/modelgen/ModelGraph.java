package dev.ccserve.server.modelgen;

import java.util.Map;
import org.tensorflow.Operand;

/**
 * A model built into a graph: the signature's input and output operands by alias (in signature
 * order) and the multiply-accumulates per example counted while building.
 */
record ModelGraph(
    Map<String, Operand<?>> inputs, Map<String, Operand<?>> outputs, long macsPerExample) {
  ModelGraph {
    inputs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(inputs));
    outputs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(outputs));
  }
}
