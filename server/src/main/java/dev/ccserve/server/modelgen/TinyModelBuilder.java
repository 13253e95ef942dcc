package dev.ccserve.server.modelgen;

import dev.ccserve.server.modelgen.NetworkBuilder.Act;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * Builds the small test architectures {@link Arch#TINY} and {@link Arch#TINY_MULTI}.
 *
 * <p>TINY: input {@code input} float32 [-1,224,224,3] → ×1/255 → 8×8/8 conv (8 filters, VALID,
 * He-normal, with bias) → ReLU → global mean → dense 8×1001 + bias (scaled like ResNet-50's) →
 * softmax {@code predict}
 * [-1,1001]; 10 553 parameters, 1 212 232 MACs per image.
 *
 * <p>TINY_MULTI (no variables): inputs {@code x} float32 [-1,3], {@code k} int64 [-1]; outputs
 * {@code y = 2·x + k} (k broadcast along each row) float32 [-1,3] and {@code label} string [-1] =
 * {@code "class_" + k} in decimal. Not thread-safe; one builder per graph.
 */
final class TinyModelBuilder {
  private static final int FILTERS = 8;
  private static final int PATCH = 8;

  private TinyModelBuilder() {}

  static ModelGraph tiny(Ops tf, long seed) {
    NetworkBuilder nb = new NetworkBuilder(tf, seed);
    Operand<TFloat32> input =
        tf.withName("input")
            .placeholder(
                TFloat32.class,
                Placeholder.shape(
                    Shape.of(-1, ResNet50Builder.IMAGE_SIZE, ResNet50Builder.IMAGE_SIZE, 3)));
    Ops conv = tf.withSubScope("conv");
    Act x = nb.scale(nb.input(input), 1f / 255f);
    x = nb.relu(nb.bias(conv, nb.conv(conv, x, PATCH, 3, FILTERS, PATCH), FILTERS, 0.1f));
    Operand<TFloat32> logits =
        nb.logits(tf.withSubScope("logits"), nb.globalMean(x), FILTERS, ResNet50Builder.CLASSES);
    Operand<TFloat32> predict = tf.withName("predict").nn.softmax(logits);
    return new ModelGraph(Map.of("input", input), Map.of("predict", predict), nb.macs());
  }

  static ModelGraph tinyMulti(Ops tf) {
    Operand<TFloat32> x =
        tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 3)));
    Operand<TInt64> k =
        tf.withName("k").placeholder(TInt64.class, Placeholder.shape(Shape.of(-1)));
    Operand<TFloat32> kColumn =
        tf.expandDims(tf.dtypes.cast(k, TFloat32.class), tf.constant(-1));
    Operand<TFloat32> y =
        tf.withName("y").math.add(tf.math.mul(x, tf.constant(2f)), kColumn);
    Operand<TString> label =
        tf.withName("label").strings.join(List.of(tf.constant("class_"), tf.dtypes.asString(k)));
    Map<String, Operand<?>> inputs = new LinkedHashMap<>();
    inputs.put("x", x);
    inputs.put("k", k);
    Map<String, Operand<?>> outputs = new LinkedHashMap<>();
    outputs.put("y", y);
    outputs.put("label", label);
    return new ModelGraph(inputs, outputs, 0);
  }
}
