package dev.ccserve.server.runtime;

import java.util.List;

/**
 * How TensorFlow sessions are created: thread pools (0 = TensorFlow's choice), SavedModel tags, and
 * whether outputs are serialised as {@code tensor_content} instead of typed fields.
 */
public record TfSessionOptions(
    int intraOpParallelism,
    int interOpParallelism,
    List<String> savedModelTags,
    boolean serializeAsTensorContent,
    boolean enableWarmup) {
  public TfSessionOptions {
    if (intraOpParallelism < 0 || interOpParallelism < 0) {
      throw new IllegalArgumentException("parallelism must be >= 0, found intra="
          + intraOpParallelism + " inter=" + interOpParallelism);
    }
    savedModelTags = List.copyOf(savedModelTags);
    if (savedModelTags.isEmpty()) {
      throw new IllegalArgumentException("at least one SavedModel tag is needed (default: serve)");
    }
  }

  public static TfSessionOptions defaults() {
    return new TfSessionOptions(0, 0, List.of("serve"), false, true);
  }

  org.tensorflow.proto.ConfigProto configProto() {
    return org.tensorflow.proto.ConfigProto.newBuilder()
        .setIntraOpParallelismThreads(intraOpParallelism)
        .setInterOpParallelismThreads(interOpParallelism)
        .build();
  }
}
