package dev.ccserve.server.modelgen;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Layer helpers shared by the generated architectures, with deterministic synthetic weights and
 * <em>calibrated</em> batch-norm statistics.
 *
 * <p>Each layer is built twice: once on the model input (the serving graph, reading variables)
 * and once, in the graph's init scope, on a fixed calibration batch ({@value #CALIBRATION_BATCH}
 * images of integer pixels drawn uniformly from [0,254], like the seed client's random input),
 * reading the variables' initial values. Batch-norm moving mean and variance are initialised to
 * the per-channel mean and variance of the calibration activations at that point, and the final
 * dense layer is scaled so its logits have RMS {@value #TARGET_LOGIT_RMS} on the calibration
 * batch. So activations stay normalised through the network and the softmax is neither one-hot
 * nor uniform, without any training. The calibration pass runs only in
 * {@code Session.initialize()}; the exported checkpoint holds its results.
 *
 * <p>Every random tensor gets the stateless seed pair {@code {seed, stream}}, where {@code stream}
 * counts random tensors in creation order, so the same seed and the same build order give
 * bit-identical weights. Not thread-safe: one builder per graph, used by one thread.
 */
final class NetworkBuilder {
  static final float BATCH_NORM_EPSILON = 1e-5f;
  static final String MOVING_MEAN = "moving_mean";
  static final String MOVING_VARIANCE = "moving_variance";
  static final int CALIBRATION_BATCH = 4;
  static final float TARGET_LOGIT_RMS = 3f;

  /** An activation in the serving graph and the same activation on the calibration batch. */
  record Act(Operand<TFloat32> model, Operand<TFloat32> calibration) {}

  private final Ops tf;
  private final Ops init;
  private final long seed;
  private long nextStream;
  private long macs;

  NetworkBuilder(Ops tf, long seed) {
    this.tf = tf;
    this.init = tf.withInitScope();
    this.seed = seed;
  }

  long macs() {
    return macs;
  }

  /** Pairs the model input with a calibration batch of integer pixels uniform in [0,254]. */
  Act input(Operand<TFloat32> modelInput) {
    Shape shape = modelInput.shape();
    Shape batch = Shape.of(CALIBRATION_BATCH, shape.get(1), shape.get(2), shape.get(3));
    Operand<TFloat32> uniform =
        init.random.statelessRandomUniform(init.constant(batch), nextSeed());
    Operand<TFloat32> pixels = init.math.floor(init.math.mul(uniform, init.constant(255f)));
    return new Act(modelInput, pixels);
  }

  private Operand<org.tensorflow.types.TInt64> nextSeed() {
    return init.constant(new long[] {seed, nextStream++});
  }

  /** Standard-normal values of {@code shape} times {@code stddev}, built in the init scope. */
  Operand<TFloat32> normal(Shape shape, float stddev) {
    Operand<TFloat32> unit = init.random.statelessRandomNormal(init.constant(shape), nextSeed());
    return init.math.mul(unit, init.constant(stddev));
  }

  /** {@code center + spread·N(0,1)} of shape [n], in the init scope. */
  Operand<TFloat32> around(long n, float center, float spread) {
    return init.math.add(normal(Shape.of(n), spread), init.constant(center));
  }

  Operand<TFloat32> variable(Ops scope, String name, Operand<TFloat32> initialValue) {
    return scope.withName(name).variable(initialValue);
  }

  Act scale(Act x, float factor) {
    return new Act(
        tf.math.mul(x.model(), tf.constant(factor)),
        init.math.mul(x.calibration(), init.constant(factor)));
  }

  Act relu(Act x) {
    return new Act(tf.nn.relu(x.model()), init.nn.relu(x.calibration()));
  }

  Act add(Ops scope, Act a, Act b) {
    return new Act(
        scope.math.add(a.model(), b.model()), init.math.add(a.calibration(), b.calibration()));
  }

  Act maxPool(Act x, int k, int stride) {
    List<Operand<TInt32>> modelArgs = List.of(
        tf.constant(new int[] {1, k, k, 1}), tf.constant(new int[] {1, stride, stride, 1}));
    return new Act(
        tf.nn.maxPool(x.model(), modelArgs.get(0), modelArgs.get(1), "SAME"),
        init.nn.maxPool(
            x.calibration(),
            init.constant(new int[] {1, k, k, 1}),
            init.constant(new int[] {1, stride, stride, 1}),
            "SAME"));
  }

  /** Mean over the spatial axes: [N,H,W,C] → [N,C]. */
  Act globalMean(Act x) {
    return new Act(
        tf.math.mean(x.model(), tf.constant(new int[] {1, 2})),
        init.math.mean(x.calibration(), init.constant(new int[] {1, 2})));
  }

  /**
   * A bias-free convolution with a He-normal kernel [k,k,cin,cout] (stddev sqrt(2/fan_in)) in
   * variable {@code weights}, with the TF official models' fixed padding: stride 1 uses SAME;
   * stride > 1 pads {@code k-1} symmetrically ({@code (k-1)/2} before) and uses VALID.
   */
  Act conv(Ops scope, Act x, int k, long cin, long cout, int stride) {
    Operand<TFloat32> kernelInit =
        normal(Shape.of(k, k, cin, cout), (float) Math.sqrt(2.0 / (k * k * cin)));
    Operand<TFloat32> kernel = variable(scope, "weights", kernelInit);
    Operand<TFloat32> y = conv2d(scope, x.model(), kernel, k, stride);
    Shape out = y.shape();
    macs += out.get(1) * out.get(2) * k * k * cin * cout;
    return new Act(y, conv2d(init, x.calibration(), kernelInit, k, stride));
  }

  private static Operand<TFloat32> conv2d(
      Ops ops, Operand<TFloat32> x, Operand<TFloat32> kernel, int k, int stride) {
    Operand<TFloat32> input = x;
    String padding = "SAME";
    if (stride > 1) {
      padding = "VALID";
      int before = (k - 1) / 2;
      int after = (k - 1) - before;
      if (k > 1) {
        input = ops.pad(
            x,
            ops.constant(new int[][] {{0, 0}, {before, after}, {before, after}, {0, 0}}),
            ops.constant(0f));
      }
    }
    return ops.nn.conv2d(input, kernel, List.of(1L, (long) stride, (long) stride, 1L), padding);
  }

  /** Adds a bias variable {@code bias} ~ N(0, stddev²) of shape [channels]. */
  Act bias(Ops scope, Act x, long channels, float stddev) {
    Operand<TFloat32> biasInit = normal(Shape.of(channels), stddev);
    Operand<TFloat32> b = variable(scope, "bias", biasInit);
    return new Act(
        scope.nn.biasAdd(x.model(), b), init.nn.biasAdd(x.calibration(), biasInit));
  }

  /**
   * Inference-mode batch norm (FusedBatchNormV3, NHWC, epsilon 1e-5) with variables
   * {@code gamma} (≈ {@code gammaCenter} ± 10 %), {@code beta} (≈ 0 ± 0.05), and
   * {@code moving_mean}/{@code moving_variance} calibrated on the calibration batch.
   */
  Act batchNorm(Ops scope, Act x, long channels, float gammaCenter) {
    Operand<TFloat32> gammaInit = around(channels, gammaCenter, 0.1f * gammaCenter);
    Operand<TFloat32> betaInit = around(channels, 0f, 0.05f);
    Operand<TInt32> axes = init.constant(new int[] {0, 1, 2});
    Operand<TFloat32> meanInit = init.math.mean(x.calibration(), axes);
    Operand<TFloat32> varianceInit =
        init.math.mean(init.math.squaredDifference(x.calibration(), meanInit), axes);
    Operand<TFloat32> y =
        fusedBatchNorm(
            scope,
            x.model(),
            variable(scope, "gamma", gammaInit),
            variable(scope, "beta", betaInit),
            variable(scope, MOVING_MEAN, meanInit),
            variable(scope, MOVING_VARIANCE, varianceInit));
    Operand<TFloat32> calibration =
        fusedBatchNorm(init, x.calibration(), gammaInit, betaInit, meanInit, varianceInit);
    return new Act(y, calibration);
  }

  private static Operand<TFloat32> fusedBatchNorm(
      Ops ops,
      Operand<TFloat32> x,
      Operand<TFloat32> gamma,
      Operand<TFloat32> beta,
      Operand<TFloat32> mean,
      Operand<TFloat32> variance) {
    return ops.nn
        .fusedBatchNorm(
            x,
            gamma,
            beta,
            mean,
            variance,
            FusedBatchNorm.epsilon(BATCH_NORM_EPSILON),
            FusedBatchNorm.isTraining(false),
            FusedBatchNorm.dataFormat("NHWC"))
        .y();
  }

  /**
   * Dense layer {@code x·W + b} (variables {@code weights} [in,out], {@code bias} [out]) whose
   * weights are N(0,1) scaled so the calibration logits have RMS {@value #TARGET_LOGIT_RMS}.
   */
  Operand<TFloat32> logits(Ops scope, Act x, long in, long out) {
    Operand<TFloat32> features = x.calibration();
    Operand<TFloat32> meanSquare =
        init.math.mean(init.math.square(features), init.constant(new int[] {0, 1}));
    Operand<TFloat32> scale =
        init.math.div(
            init.constant(TARGET_LOGIT_RMS),
            init.math.sqrt(init.math.mul(meanSquare, init.constant((float) in))));
    Operand<TFloat32> weightsInit = init.math.mul(normal(Shape.of(in, out), 1f), scale);
    Operand<TFloat32> w = variable(scope, "weights", weightsInit);
    Operand<TFloat32> b = variable(scope, "bias", normal(Shape.of(out), 0.01f));
    macs += in * out;
    return scope.nn.biasAdd(scope.linalg.matMul(x.model(), w), b);
  }
}
