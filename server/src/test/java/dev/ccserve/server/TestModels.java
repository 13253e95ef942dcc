package dev.ccserve.server;

import java.nio.file.Files;
import java.nio.file.Path;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/** Small SavedModels built in the test, with outputs that are simple functions of the inputs. */
public final class TestModels {
  private TestModels() {}

  /** y = 0.5 * x + c, input {@code x} float [-1], output {@code y} float [-1]. */
  public static Path halfPlus(Path base, long version, float c) throws Exception {
    Path dir = base.resolve(Long.toString(version));
    Files.createDirectories(base);
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1)));
      Operand<TFloat32> y = tf.withName("y").math.add(tf.math.mul(x, tf.constant(0.5f)),
          tf.constant(c));
      Signature sig = Signature.builder().key("serving_default")
          .methodName("tensorflow/serving/predict").input("x", x).output("y", y).build();
      SavedModelBundle.exporter(dir.toString()).withFunction(SessionFunction.create(sig, s))
          .export();
    }
    return dir;
  }

  /**
   * Inputs x float [-1,3], k int64 [-1], s string [-1]; outputs y = 2x + k (per row),
   * n = k + 1, s_bytes = s.
   */
  public static Path multi(Path base, long version) throws Exception {
    Path dir = base.resolve(Long.toString(version));
    Files.createDirectories(base);
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 3)));
      Placeholder<TInt64> k = tf.withName("k").placeholder(TInt64.class,
          Placeholder.shape(Shape.of(-1)));
      Placeholder<TString> str = tf.withName("s").placeholder(TString.class,
          Placeholder.shape(Shape.of(-1)));
      Operand<TFloat32> kf = tf.expandDims(tf.dtypes.cast(k, TFloat32.class), tf.constant(1));
      Operand<TFloat32> y = tf.withName("y").math.add(tf.math.mul(x, tf.constant(2f)), kf);
      Operand<TInt64> n = tf.withName("n").math.add(k, tf.constant(1L));
      Operand<TString> sb = tf.withName("s_out").identity(str);
      Signature sig = Signature.builder().key("serving_default")
          .methodName("tensorflow/serving/predict").input("x", x).input("k", k).input("s", str)
          .output("y", y).output("n", n).output("s_bytes", sb).build();
      Signature second = Signature.builder().key("double_only")
          .methodName("tensorflow/serving/predict").input("x", x).output("y2",
              tf.withName("y2").math.mul(x, tf.constant(2f))).build();
      SavedModelBundle.exporter(dir.toString()).withFunction(SessionFunction.create(sig, s))
          .withFunction(SessionFunction.create(second, s)).export();
    }
    return dir;
  }
}
