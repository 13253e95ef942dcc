package dev.ccserve.server.modelgen;

import dev.ccserve.server.modelgen.NetworkBuilder.Act;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * Builds ResNet-50 v1.5 (the seed model's architecture) into a graph, with deterministic
 * synthetic weights — <b>not pretrained</b>: predictions are meaningless.
 *
 * <p>Architecture (NHWC, float32): input {@code input} [-1,224,224,3] → 7×7/2 conv (64, symmetric
 * pad 3 + VALID) → BN → ReLU → 3×3/2 max-pool (SAME) → 4 stages of bottleneck blocks (3, 4, 6, 3
 * blocks; widths 64, 128, 256, 512; expansion 4) → global mean → dense 2048×1001 + bias → softmax
 * {@code predict} [-1,1001]. Bottleneck v1.5: 1×1 conv → BN → ReLU → 3×3 conv carrying the
 * block's stride (for stride 2: symmetric pad 1 + VALID) → BN → ReLU → 1×1 conv (4·width) → BN,
 * plus the shortcut (1×1 conv with the stride + BN on the first block of each stage, identity
 * otherwise), then ReLU. Convolutions have no bias; batch norm is FusedBatchNormV3 in inference
 * mode, epsilon 1e-5. With 1001 classes that is 25 559 081 parameters (25 557 032 with 1000
 * classes, the usual quoted figure) plus 53 120 batch-norm statistics, ≈4.09 GMAC per image.
 *
 * <p>Weights ({@link NetworkBuilder}): conv kernels He-normal N(0, 2/fan_in); BN gamma 1 ± 0.1
 * (the last BN of each residual branch {@value #RESIDUAL_GAMMA} ± 0.05, so the residual sums
 * grow slowly), beta 0 ± 0.05; BN moving statistics calibrated on a fixed batch of random pixel
 * images (values 0–254, like the seed client's random input), so raw pixel input is normalised;
 * dense weights scaled for logit RMS 3 on that batch. Not thread-safe; one builder per graph.
 */
final class ResNet50Builder {
  static final int CLASSES = 1001;
  static final int IMAGE_SIZE = 224;
  static final float RESIDUAL_GAMMA = 0.5f;
  private static final int[] BLOCKS = {3, 4, 6, 3};
  private static final int[] WIDTHS = {64, 128, 256, 512};
  private static final int EXPANSION = 4;

  private final int classes;

  ResNet50Builder() {
    this(CLASSES);
  }

  /** Package-private for tests: the same network with another number of classes. */
  ResNet50Builder(int classes) {
    if (classes < 1) {
      throw new IllegalArgumentException("classes must be >= 1, got " + classes);
    }
    this.classes = classes;
  }

  ModelGraph build(Ops tf, long seed) {
    // Ops.withSubScope scans every operation already in the graph, so all name scopes are
    // created up front, while the graph is still empty (otherwise building is quadratic).
    Ops stemConv = tf.withSubScope("conv1");
    Ops stemBn = tf.withSubScope("bn_conv1");
    Ops head = tf.withSubScope("logits");
    List<BlockScopes> blocks = new ArrayList<>();
    for (int stage = 0; stage < BLOCKS.length; stage++) {
      for (int block = 0; block < BLOCKS[stage]; block++) {
        blocks.add(BlockScopes.of(tf.withSubScope("stage" + (stage + 1) + "_block" + (block + 1))));
      }
    }
    NetworkBuilder nb = new NetworkBuilder(tf, seed);
    Operand<TFloat32> input =
        tf.withName("input")
            .placeholder(
                TFloat32.class, Placeholder.shape(Shape.of(-1, IMAGE_SIZE, IMAGE_SIZE, 3)));
    Act x = nb.input(input);
    x = nb.conv(stemConv, x, 7, 3, 64, 2);
    x = nb.relu(nb.batchNorm(stemBn, x, 64, 1f));
    x = nb.maxPool(x, 3, 2);
    long channels = 64;
    int next = 0;
    for (int stage = 0; stage < BLOCKS.length; stage++) {
      for (int block = 0; block < BLOCKS[stage]; block++) {
        int stride = (block == 0 && stage > 0) ? 2 : 1;
        x = bottleneck(nb, blocks.get(next++), x, channels, WIDTHS[stage], stride, block == 0);
        channels = (long) WIDTHS[stage] * EXPANSION;
      }
    }
    Operand<TFloat32> logits = nb.logits(head, nb.globalMean(x), channels, classes);
    Operand<TFloat32> predict = tf.withName("predict").nn.softmax(logits);
    return new ModelGraph(Map.of("input", input), Map.of("predict", predict), nb.macs());
  }

  /** The name scopes of one bottleneck block: {@code <block>/{shortcut,a,b,c}}. */
  private record BlockScopes(Ops block, Ops shortcut, Ops a, Ops b, Ops c) {
    static BlockScopes of(Ops block) {
      return new BlockScopes(
          block,
          block.withSubScope("shortcut"),
          block.withSubScope("a"),
          block.withSubScope("b"),
          block.withSubScope("c"));
    }
  }

  private static Act bottleneck(
      NetworkBuilder nb, BlockScopes scopes, Act x, long in, int width, int stride,
      boolean projection) {
    long out = (long) width * EXPANSION;
    Act shortcut = x;
    if (projection) {
      Ops sc = scopes.shortcut();
      shortcut = nb.batchNorm(sc, nb.conv(sc, x, 1, in, out, stride), out, 1f);
    }
    Ops a = scopes.a();
    Act y = nb.relu(nb.batchNorm(a, nb.conv(a, x, 1, in, width, 1), width, 1f));
    Ops b = scopes.b();
    y = nb.relu(nb.batchNorm(b, nb.conv(b, y, 3, width, width, stride), width, 1f));
    Ops c = scopes.c();
    y = nb.batchNorm(c, nb.conv(c, y, 1, width, out, 1), out, RESIDUAL_GAMMA);
    return nb.relu(nb.add(scopes.block(), y, shortcut));
  }
}
