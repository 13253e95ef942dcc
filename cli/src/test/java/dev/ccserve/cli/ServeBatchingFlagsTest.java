package dev.ccserve.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.server.batching.BatchingParameters;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code serve --enable_batching / --batching_parameters_file}. */
class ServeBatchingFlagsTest {
  @TempDir Path tmp;

  private ServeCommand parse(String... args) {
    ServeCommand c = new ServeCommand();
    new CommandLine(c).parseArgs(args);
    return c;
  }

  @Test
  void serve_badBatchingParametersFile_exitsWithUsageErrorBeforeServing() throws Exception {
    Path f = tmp.resolve("batching.txt");
    Files.writeString(f, "max_batch_size { value: 32 } allowed_batch_sizes: 8");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int rc = new Main(new PrintWriter(out, true), new PrintWriter(err, true)).run("serve",
        "--model_base_path", tmp.toString(), "--port", "0", "--rest_api_port", "-1",
        "--enable_batching", "--batching_parameters_file", f.toString());
    assertThat(rc).isEqualTo(2);
    assertThat(err.toString()).contains("Last entry in allowed_batch_sizes must match "
        + "max_batch_size; last entry was 8; expected 32");
  }

  @Test
  void batchingParameters_fileGiven_valuesFromFile() throws Exception {
    Path f = tmp.resolve("batching.txt");
    Files.writeString(f, "max_batch_size { value: 16 } batch_timeout_micros { value: 1000 } "
        + "num_batch_threads { value: 2 } max_enqueued_batches { value: 4 }");
    assertThat(parse("--enable_batching", "--batching_parameters_file", f.toString())
        .batchingParameters()).contains(new BatchingParameters(16, 1000, 4, 2, "batch_threads",
            List.of()));
  }

  @Test
  void batchingParameters_flagAlone_tensorFlowDefaults() {
    assertThat(parse("--enable_batching").batchingParameters().orElseThrow().maxBatchSize())
        .isEqualTo(1000);
    assertThat(parse("--enable_batching=false").batchingParameters()).isEmpty();
    assertThat(parse().batchingParameters()).isEmpty();
  }

  @Test
  void batchingParameters_padVariableLengthInputs_usageError() throws Exception {
    Path f = tmp.resolve("pad.txt");
    Files.writeString(f, "pad_variable_length_inputs: true");
    assertThatThrownBy(() -> parse("--enable_batching", "--batching_parameters_file",
        f.toString()).batchingParameters())
        .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.usage()).isTrue())
        .hasMessageContaining("pad_variable_length_inputs");
  }
}
