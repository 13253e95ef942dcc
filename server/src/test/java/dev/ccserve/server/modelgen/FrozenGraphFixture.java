package dev.ccserve.server.modelgen;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * A small frozen graph built in Java, shaped like the seed's: Placeholder {@code input}
 * [-1,8,8,3] → conv (Const kernel) → ReLU → mean → MatMul (Const weights) → Softmax
 * {@code predict} [-1,10], plus an unused side branch that conversion must prune.
 */
final class FrozenGraphFixture {
  static final int SIZE = 8;
  static final int CLASSES = 10;

  private FrozenGraphFixture() {}

  /** Builds the graph into {@code graph}; returns nothing, nodes are found by name. */
  static void build(Graph graph) {
    Ops tf = Ops.create(graph);
    Random random = new Random(11);
    Operand<TFloat32> input = tf.withName("input")
        .placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, SIZE, SIZE, 3)));
    Operand<TFloat32> kernel = tf.withName("kernel").constant(
        Shape.of(3, 3, 3, 4), DataBuffers.of(gaussian(random, 3 * 3 * 3 * 4, 0.3f)));
    Operand<TFloat32> conv =
        tf.nn.relu(tf.nn.conv2d(input, kernel, List.of(1L, 1L, 1L, 1L), "SAME"));
    Operand<TFloat32> pooled = tf.math.mean(conv, tf.constant(new int[] {1, 2}));
    Operand<TFloat32> weights = tf.withName("dense").constant(
        Shape.of(4, CLASSES), DataBuffers.of(gaussian(random, 4 * CLASSES, 0.5f)));
    tf.withName("predict").nn.softmax(tf.linalg.matMul(pooled, weights));
    tf.withName("unused_side_branch").math.mul(input, tf.constant(3f));
  }

  static Path write(Path file) throws IOException {
    try (Graph graph = new Graph(); OutputStream out = Files.newOutputStream(file)) {
      build(graph);
      graph.toGraphDef().writeTo(out);
    }
    return file;
  }

  static TFloat32 input(int n, long seed) {
    float[] values = gaussian(new Random(seed), n * SIZE * SIZE * 3, 1f);
    return TFloat32.tensorOf(Shape.of(n, SIZE, SIZE, 3), DataBuffers.of(values, true, false));
  }

  /** Runs the original (unconverted) graph. */
  static float[] runOriginal(TFloat32 input) {
    try (Graph graph = new Graph()) {
      build(graph);
      try (Session session = new Session(graph);
          Result result = session.runner().feed("input", input).fetch("predict").run()) {
        return TfTestSupport.floats((TFloat32) result.get(0));
      }
    }
  }

  private static float[] gaussian(Random random, int n, float stddev) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) random.nextGaussian() * stddev;
    }
    return values;
  }
}
