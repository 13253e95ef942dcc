package dev.ccserve.server.modelgen;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;

/**
 * Generates SavedModels with synthetic, deterministic weights ({@code ccserve model generate}):
 * {@code <exportDir>/<version>/} with tag {@code serve} and signature {@code serving_default}
 * (method {@code tensorflow/serving/predict}), laid out like the seed's converted model (see
 * {@link Arch} for each architecture's inputs and outputs).
 *
 * <p>Weights come from StatelessRandomNormal with seeds derived from the given seed, so the same
 * architecture, seed and TensorFlow build give bit-identical variables and outputs; another seed
 * gives other weights. They are <b>not pretrained</b>. The version directory is written
 * atomically (staging directory + rename) and an existing version is never replaced unless
 * {@code overwrite} is set. Thread-safe (no mutable state; each call builds its own graph).
 */
public final class ModelGenerator {
  /** Signature key, method name and tag shared with the seed's SavedModel. */
  public static final String SIGNATURE_KEY = "serving_default";

  public static final String METHOD_NAME = "tensorflow/serving/predict";
  public static final String TAG = "serve";

  private final ConfigProto sessionConfig;

  /** Uses intra-op threads = available processors, inter-op threads = 1. */
  public ModelGenerator() {
    this(defaultSessionConfig());
  }

  public ModelGenerator(ConfigProto sessionConfig) {
    this.sessionConfig = Objects.requireNonNull(sessionConfig, "sessionConfig");
  }

  static ConfigProto defaultSessionConfig() {
    return ConfigProto.newBuilder()
        .setIntraOpParallelismThreads(Runtime.getRuntime().availableProcessors())
        .setInterOpParallelismThreads(1)
        .build();
  }

  /** Same as {@code generate(arch, exportDir, version, seed, false)}. */
  public GeneratedModel generate(Arch arch, Path exportDir, long version, long seed)
      throws ModelToolException {
    return generate(arch, exportDir, version, seed, false);
  }

  /**
   * Builds {@code arch} with weights from {@code seed} and exports it to
   * {@code exportDir/<version>/}.
   *
   * @param overwrite replace an existing version directory (otherwise that is an error, reported
   *     before any work is done)
   * @throws ModelToolException the version exists, the directory cannot be written, or
   *     TensorFlow failed to initialise or save the variables
   */
  public GeneratedModel generate(
      Arch arch, Path exportDir, long version, long seed, boolean overwrite)
      throws ModelToolException {
    Objects.requireNonNull(arch, "arch");
    Objects.requireNonNull(exportDir, "exportDir");
    VersionDirectories.checkTarget(exportDir, version, overwrite);
    Path staging = VersionDirectories.createStaging(exportDir, version);
    ModelStatistics statistics;
    try (Graph graph = new Graph()) {
      ModelGraph model = build(arch, Ops.create(graph), seed);
      statistics = VariableCensus.count(graph, model.macsPerExample());
      try (Session session = new Session(graph, sessionConfig)) {
        session.initialize();
        SavedModelBundle.exporter(staging.toString())
            .withTags(TAG)
            .withFunction(SessionFunction.create(signature(model), session))
            .export();
      }
    } catch (IOException | TensorFlowException | IllegalStateException e) {
      VersionDirectories.deleteQuietly(staging);
      throw new ModelToolException(
          "cannot export " + arch.cliName() + " to " + staging + ": " + e.getMessage(), e);
    }
    Path versionDir = VersionDirectories.publish(staging, exportDir, version, overwrite);
    return new GeneratedModel(arch, versionDir, version, seed, statistics);
  }

  /**
   * Builds {@code arch} into a throw-away graph (no session, no weights computed) and counts its
   * variables and MACs; fast enough for a dry run.
   */
  public ModelStatistics describe(Arch arch) {
    try (Graph graph = new Graph()) {
      ModelGraph model = build(arch, Ops.create(graph), 0);
      return VariableCensus.count(graph, model.macsPerExample());
    }
  }

  static ModelGraph build(Arch arch, Ops tf, long seed) {
    return switch (arch) {
      case RESNET50 -> new ResNet50Builder().build(tf, seed);
      case TINY -> TinyModelBuilder.tiny(tf, seed);
      case TINY_MULTI -> TinyModelBuilder.tinyMulti(tf);
    };
  }

  static Signature signature(ModelGraph model) {
    Signature.Builder builder = Signature.builder().key(SIGNATURE_KEY).methodName(METHOD_NAME);
    for (Map.Entry<String, Operand<?>> in : model.inputs().entrySet()) {
      builder.input(in.getKey(), in.getValue());
    }
    for (Map.Entry<String, Operand<?>> out : model.outputs().entrySet()) {
      builder.output(out.getKey(), out.getValue());
    }
    return builder.build();
  }
}
