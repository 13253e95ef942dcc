package dev.ccserve.server.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchingParametersTest {
  @TempDir Path tmp;

  @Test
  void parse_emptyText_tensorFlowDefaults() throws Exception {
    BatchingParameters p = BatchingParameters.parse("", "test");
    assertThat(p.maxBatchSize()).isEqualTo(1000);
    assertThat(p.batchTimeoutMicros()).isZero();
    assertThat(p.maxEnqueuedBatches()).isEqualTo(10);
    assertThat(p.numBatchThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(p.threadPoolName()).isEqualTo("batch_threads");
    assertThat(p.allowedBatchSizes()).isEmpty();
  }

  @Test
  void readFile_docsExample_valuesTaken() throws Exception {
    Path f = tmp.resolve("batching.txt");
    Files.writeString(f, "max_batch_size { value: 128 }\nbatch_timeout_micros { value: 250 }\n"
        + "max_enqueued_batches { value: 1000000 }\nnum_batch_threads { value: 8 }\n"
        + "allowed_batch_sizes: 16\nallowed_batch_sizes: 64\nallowed_batch_sizes: 128\n"
        + "thread_pool_name { value: \"pool\" }\npad_variable_length_inputs: false\n");
    BatchingParameters p = BatchingParameters.readFile(f);
    assertThat(p).isEqualTo(new BatchingParameters(128, 250, 1_000_000, 8, "pool",
        List.of(16, 64, 128)));
    assertThat(p.paddedSize(1)).isEqualTo(16);
    assertThat(p.paddedSize(16)).isEqualTo(16);
    assertThat(p.paddedSize(17)).isEqualTo(64);
    assertThat(p.paddedSize(100)).isEqualTo(128);
  }

  @Test
  void paddedSize_noAllowedSizes_unchanged() {
    BatchingParameters p = new BatchingParameters(32, 0, 1, 1, "", List.of());
    assertThat(p.paddedSize(7)).isEqualTo(7);
    assertThat(p.threadPoolName()).isEqualTo("batch_threads");
  }

  @Test
  void parse_lastAllowedSizeNotMax_invalidArgumentWithTensorFlowMessage() {
    assertThatThrownBy(() -> BatchingParameters.parse(
        "max_batch_size { value: 32 } allowed_batch_sizes: 8 allowed_batch_sizes: 16", "f"))
        .isInstanceOfSatisfying(ServingException.class,
            e -> assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT))
        .hasMessageContaining("Last entry in allowed_batch_sizes must match max_batch_size; "
            + "last entry was 16; expected 32");
  }

  @Test
  void parse_allowedSizesNotIncreasing_invalidArgument() {
    assertThatThrownBy(() -> BatchingParameters.parse(
        "max_batch_size { value: 8 } allowed_batch_sizes: 4 allowed_batch_sizes: 4 "
            + "allowed_batch_sizes: 8", "f"))
        .isInstanceOfSatisfying(ServingException.class,
            e -> assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT))
        .hasMessageContaining("monotonically increasing").hasMessageContaining("[4, 4, 8]");
  }

  @Test
  void parse_defaultMaxWithSmallAllowedSizes_invalidArgument() {
    assertThatThrownBy(() -> BatchingParameters.parse("allowed_batch_sizes: 8", "f"))
        .hasMessageContaining("last entry was 8; expected 1000");
  }

  @Test
  void parse_padVariableLengthInputs_unimplemented() {
    assertThatThrownBy(() -> BatchingParameters.parse("pad_variable_length_inputs: true", "f"))
        .isInstanceOfSatisfying(ServingException.class,
            e -> assertThat(e.code()).isEqualTo(Code.UNIMPLEMENTED))
        .hasMessageContaining("pad_variable_length_inputs");
  }

  @Test
  void parse_largeBatchSplitting_unimplemented() {
    assertThatThrownBy(() -> BatchingParameters.parse(
        "enable_large_batch_splitting { value: true }", "f"))
        .isInstanceOfSatisfying(ServingException.class,
            e -> assertThat(e.code()).isEqualTo(Code.UNIMPLEMENTED));
  }

  @Test
  void parse_nonPositiveValues_invalidArgument() {
    for (String text : List.of("max_batch_size { value: 0 }", "num_batch_threads { value: -1 }",
        "max_enqueued_batches { value: 0 }", "batch_timeout_micros { value: -5 }")) {
      assertThatThrownBy(() -> BatchingParameters.parse(text, "f"))
          .as(text)
          .isInstanceOfSatisfying(ServingException.class,
              e -> assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT))
          .hasMessageContaining("was ");
    }
  }

  @Test
  void parse_notTextProto_invalidArgumentNamingFile() {
    assertThatThrownBy(() -> BatchingParameters.parse("max_batch_size: banana", "my.txt"))
        .isInstanceOfSatisfying(ServingException.class,
            e -> assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT))
        .hasMessageContaining("my.txt");
  }

  @Test
  void readFile_missing_invalidArgument() {
    assertThatThrownBy(() -> BatchingParameters.readFile(tmp.resolve("nope.txt")))
        .isInstanceOf(ServingException.class).hasMessageContaining("nope.txt");
  }
}
