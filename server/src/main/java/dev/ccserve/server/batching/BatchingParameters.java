package dev.ccserve.server.batching;

import com.google.protobuf.TextFormat;
import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServingException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import tensorflow.serving.SessionBundleConfig.BatchingParameters.Builder;

/**
 * The batching configuration of {@code --enable_batching}: TF Serving's {@code BatchingParameters}
 * ({@code --batching_parameters_file}, protobuf text format) with TF's defaults for unset fields
 * (max_batch_size 1000, batch_timeout_micros 0, max_enqueued_batches 10, num_batch_threads = the
 * number of CPUs, thread pool "batch_threads"). Invariants, checked in the compact constructor:
 * every size and count is positive, the timeout is not negative, and {@code allowedBatchSizes} is
 * either empty or strictly increasing with its last entry equal to {@code maxBatchSize}.
 * Options ccserve does not implement ({@code pad_variable_length_inputs},
 * {@code enable_large_batch_splitting}) are refused when the file is read, not ignored.
 * Immutable.
 */
public record BatchingParameters(int maxBatchSize, long batchTimeoutMicros,
    int maxEnqueuedBatches, int numBatchThreads, String threadPoolName,
    List<Integer> allowedBatchSizes) {

  public static final int DEFAULT_MAX_BATCH_SIZE = 1000;
  public static final long DEFAULT_BATCH_TIMEOUT_MICROS = 0;
  public static final int DEFAULT_MAX_ENQUEUED_BATCHES = 10;
  public static final String DEFAULT_THREAD_POOL_NAME = "batch_threads";

  public BatchingParameters {
    positive("max_batch_size", maxBatchSize);
    positive("max_enqueued_batches", maxEnqueuedBatches);
    positive("num_batch_threads", numBatchThreads);
    if (batchTimeoutMicros < 0) {
      throw new IllegalArgumentException(
          "batch_timeout_micros must be non-negative; was " + batchTimeoutMicros);
    }
    if (threadPoolName == null || threadPoolName.isBlank()) {
      threadPoolName = DEFAULT_THREAD_POOL_NAME;
    }
    allowedBatchSizes = List.copyOf(allowedBatchSizes);
    int prev = 0;
    for (int s : allowedBatchSizes) {
      if (s <= prev) {
        throw new IllegalArgumentException("allowed_batch_sizes entries must be monotonically "
            + "increasing and positive; found " + allowedBatchSizes);
      }
      prev = s;
    }
    if (!allowedBatchSizes.isEmpty() && prev != maxBatchSize) {
      throw new IllegalArgumentException("Last entry in allowed_batch_sizes must match "
          + "max_batch_size; last entry was " + prev + "; expected " + maxBatchSize);
    }
  }

  /** TF's defaults: what {@code --enable_batching} without a parameters file uses. */
  public static BatchingParameters defaults() {
    return new BatchingParameters(DEFAULT_MAX_BATCH_SIZE, DEFAULT_BATCH_TIMEOUT_MICROS,
        DEFAULT_MAX_ENQUEUED_BATCHES, Runtime.getRuntime().availableProcessors(),
        "model_server_batch_threads", List.of());
  }

  /** The batch size a batch of {@code rows} rows is padded to (itself when no sizes are set). */
  public int paddedSize(int rows) {
    for (int s : allowedBatchSizes) {
      if (s >= rows) {
        return s;
      }
    }
    return rows;
  }

  /** Reads a {@code --batching_parameters_file}; every problem is INVALID_ARGUMENT or UNIMPLEMENTED. */
  public static BatchingParameters readFile(Path file) throws ServingException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw ServingException.invalidArgument("cannot read --batching_parameters_file " + file
          + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  /** Parses BatchingParameters text format; {@code source} names the input in errors. */
  public static BatchingParameters parse(String text, String source) throws ServingException {
    Builder b = tensorflow.serving.SessionBundleConfig.BatchingParameters.newBuilder();
    try {
      TextFormat.getParser().merge(text, b);
    } catch (TextFormat.ParseException e) {
      throw ServingException.invalidArgument("--batching_parameters_file " + source
          + " is not a BatchingParameters text proto: " + e.getMessage());
    }
    return from(b.build(), source);
  }

  /** Converts the proto, applying TF's defaults to unset fields. */
  public static BatchingParameters from(
      tensorflow.serving.SessionBundleConfig.BatchingParameters p, String source)
      throws ServingException {
    if (p.getPadVariableLengthInputs()) {
      throw new ServingException(Code.UNIMPLEMENTED, "--batching_parameters_file " + source
          + ": pad_variable_length_inputs: true is not supported by ccserve; requests in one "
          + "batch must have equal non-batch dimensions (unset it or set it to false)");
    }
    if (p.hasEnableLargeBatchSplitting() && p.getEnableLargeBatchSplitting().getValue()) {
      throw new ServingException(Code.UNIMPLEMENTED, "--batching_parameters_file " + source
          + ": enable_large_batch_splitting: true is not supported by ccserve; a request larger "
          + "than max_batch_size runs on its own, unbatched (unset it or set it to false)");
    }
    BatchingParameters d = defaults();
    try {
      int max = p.hasMaxBatchSize() ? toInt("max_batch_size", p.getMaxBatchSize().getValue())
          : d.maxBatchSize();
      if (p.hasMaxExecutionBatchSize() && p.getMaxExecutionBatchSize().getValue() != max) {
        throw new IllegalArgumentException("max_execution_batch_size (only used with "
            + "enable_large_batch_splitting) must be unset or equal max_batch_size " + max
            + "; was " + p.getMaxExecutionBatchSize().getValue());
      }
      List<Integer> allowed = new java.util.ArrayList<>();
      for (long s : p.getAllowedBatchSizesList()) {
        allowed.add(toInt("allowed_batch_sizes entry", s));
      }
      return new BatchingParameters(max,
          p.hasBatchTimeoutMicros() ? p.getBatchTimeoutMicros().getValue()
              : d.batchTimeoutMicros(),
          p.hasMaxEnqueuedBatches()
              ? toInt("max_enqueued_batches", p.getMaxEnqueuedBatches().getValue())
              : d.maxEnqueuedBatches(),
          p.hasNumBatchThreads() ? toInt("num_batch_threads", p.getNumBatchThreads().getValue())
              : d.numBatchThreads(),
          p.hasThreadPoolName() ? p.getThreadPoolName().getValue() : DEFAULT_THREAD_POOL_NAME,
          allowed);
    } catch (IllegalArgumentException e) {
      throw ServingException.invalidArgument(
          "--batching_parameters_file " + source + ": " + e.getMessage());
    }
  }

  private static int toInt(String field, long v) {
    if (v > Integer.MAX_VALUE || v <= 0) {
      throw new IllegalArgumentException(field + " must be positive and at most "
          + Integer.MAX_VALUE + "; was " + v);
    }
    return (int) v;
  }

  private static void positive(String field, long v) {
    if (v <= 0) {
      throw new IllegalArgumentException(field + " must be positive; was " + v);
    }
  }
}
