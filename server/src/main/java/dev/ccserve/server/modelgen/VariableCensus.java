package dev.ccserve.server.modelgen;

import java.util.Iterator;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.ndarray.Shape;

/**
 * Counts variable elements in a built graph, independently of the builders' own bookkeeping:
 * every {@code VariableV2} op is one variable; those named {@code …moving_mean} or
 * {@code …moving_variance} are batch-norm statistics, all others parameters. Stateless.
 */
final class VariableCensus {
  private VariableCensus() {}

  static ModelStatistics count(Graph graph, long macsPerExample) {
    long parameters = 0;
    long statistics = 0;
    Iterator<GraphOperation> ops = graph.operations();
    while (ops.hasNext()) {
      GraphOperation op = ops.next();
      if (!op.type().equals("VariableV2") && !op.type().equals("Variable")) {
        continue;
      }
      Shape shape = op.output(0).shape();
      if (shape.isUnknown() || shape.hasUnknownDimension()) {
        throw new IllegalStateException(
            "variable " + op.name() + " has no static shape (" + shape + ")");
      }
      if (isStatistic(op.name())) {
        statistics += shape.size();
      } else {
        parameters += shape.size();
      }
    }
    return new ModelStatistics(parameters, statistics, macsPerExample);
  }

  private static boolean isStatistic(String opName) {
    String base = opName.substring(opName.lastIndexOf('/') + 1);
    return base.equals(NetworkBuilder.MOVING_MEAN) || base.equals(NetworkBuilder.MOVING_VARIANCE);
  }
}
