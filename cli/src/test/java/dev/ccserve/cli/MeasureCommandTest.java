package dev.ccserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MeasureCommandTest {
  @TempDir Path tmp;

  String run(int expectedCode, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = new Main(new PrintWriter(out, true), new PrintWriter(err, true)).run(args);
    assertThat(code).as(err.toString()).isEqualTo(expectedCode);
    return out.toString().trim();
  }

  @Test
  void measure_classPath_printsStableHex() {
    String m = run(0, "measure");
    assertThat(m).matches("[0-9a-f]{64}");
    assertThat(run(0, "measure", "--config", "mode=confidential")).isNotEqualTo(m);
  }

  @Test
  void measure_paths_changeWhenJarChanges() throws Exception {
    Path jar = Files.write(tmp.resolve("ccserve.jar"), new byte[] {1, 2});
    String a = run(0, "measure", "--path", jar.toString());
    Files.write(jar, new byte[] {1, 3});
    assertThat(run(0, "measure", "--path", jar.toString())).isNotEqualTo(a).matches("[0-9a-f]{64}");
    assertThat(run(0, "measure", "--path", jar.toString(), "--policy_snippet"))
        .contains("mr_enclave").contains("trust_simulated_insecure");
  }

  @Test
  void measure_missingPath_exit2() {
    run(2, "measure", "--path", tmp.resolve("missing.jar").toString());
  }
}
