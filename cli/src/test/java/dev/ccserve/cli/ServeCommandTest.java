package dev.ccserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Usage errors of ccserve serve: exit code 2 and a message naming the flag. */
class ServeCommandTest {
  @TempDir Path tmp;
  StringWriter out = new StringWriter();
  StringWriter err = new StringWriter();

  int run(String... args) {
    return new Main(new PrintWriter(out, true), new PrintWriter(err, true)).run(args);
  }

  @Test
  void noModel_isUsageError() {
    assertThat(run("serve")).isEqualTo(2);
    assertThat(err.toString()).contains("--model_base_path").contains("--model_config_file");
  }

  @Test
  void missingConfigFile_isUsageError() {
    assertThat(run("serve", "--model_config_file", tmp.resolve("nope.cfg").toString()))
        .isEqualTo(2);
    assertThat(err.toString()).contains("nope.cfg").contains("does not exist");
  }

  @Test
  void samePorts_isUsageError() {
    assertThat(run("serve", "--model_base_path", tmp.toString(), "--port", "9000",
        "--rest_api_port", "9000")).isEqualTo(2);
    assertThat(err.toString()).contains("--rest_api_port must differ from --port");
  }

  @Test
  void confidentialWithoutBroker_isUsageError() {
    assertThat(run("serve", "--model_base_path", tmp.toString(), "--attestation", "simulated"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--keybroker").contains("--service_name");
  }

  @Test
  void confidentialWithSslConfig_isUsageError() {
    assertThat(run("serve", "--model_base_path", tmp.toString(), "--attestation", "simulated",
        "--keybroker", "h:1", "--keybroker_ca", "ca.pem", "--service_name", "s",
        "--ssl_config_file", "ssl.cfg")).isEqualTo(2);
    assertThat(err.toString()).contains("drop --ssl_config_file");
  }

  @Test
  void unknownAttestation_isUsageError() {
    assertThat(run("serve", "--model_base_path", tmp.toString(), "--attestation", "sev",
        "--keybroker", "h:1", "--keybroker_ca", "ca.pem", "--service_name", "s")).isEqualTo(2);
    assertThat(err.toString()).contains("expected simulated, gramine or tsm, found sev");
  }

  @Test
  void badSslConfig_isUsageError() throws Exception {
    Path cfg = tmp.resolve("ssl.cfg");
    java.nio.file.Files.writeString(cfg, "server_key: 'not a pem'\nserver_cert: 'nope'\n");
    assertThat(run("serve", "--model_base_path", tmp.toString(), "--ssl_config_file",
        cfg.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("ssl.cfg");
  }
}
