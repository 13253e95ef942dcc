package dev.ccserve.server.modelgen;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/** Small helpers for tests that load and run SavedModels. */
final class TfTestSupport {
  private TfTestSupport() {}

  /** A batch of {@code n} images [n,224,224,3] with integer pixels 0..254 (every element set). */
  static TFloat32 pixels(int n, long seed) {
    float[] values = new float[n * 224 * 224 * 3];
    Random random = new Random(seed);
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextInt(255);
    }
    return TFloat32.tensorOf(Shape.of(n, 224, 224, 3), DataBuffers.of(values, true, false));
  }

  static SavedModelBundle load(Path versionDir) {
    return SavedModelBundle.loader(versionDir.toString()).withTags("serve").load();
  }

  /** Runs {@code serving_default} with one input and returns output {@code alias} as floats. */
  static float[] runFloats(SavedModelBundle bundle, String inAlias, Tensor in, String outAlias) {
    try (Result result = bundle.function("serving_default").call(Map.of(inAlias, in))) {
      return floats((TFloat32) result.get(outAlias).orElseThrow());
    }
  }

  static float[] floats(TFloat32 t) {
    float[] out = new float[(int) t.shape().size()];
    t.asRawTensor().data().asFloats().read(out);
    return out;
  }

  /** Runs {@code predict} of a seed-signature model on {@code pixels(n, inputSeed)}. */
  static float[] predict(Path versionDir, int n, long inputSeed) {
    try (SavedModelBundle bundle = load(versionDir);
        TFloat32 in = pixels(n, inputSeed)) {
      return runFloats(bundle, "input", in, "predict");
    }
  }
}
