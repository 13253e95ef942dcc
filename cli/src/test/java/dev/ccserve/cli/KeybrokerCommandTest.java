package dev.ccserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeybrokerCommandTest {
  @TempDir Path tmp;

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = new Main(new PrintWriter(out, true), new PrintWriter(err, true)).run(args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void init_newDirectory_writesCaAndServerMaterial() throws Exception {
    Path ca = tmp.resolve("ca");

    Result r = run("keybroker", "init", "--ca", ca.toString(), "--names", "attestation.service.com,localhost,127.0.0.1");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("ca_cert.pem").contains("server_key.pem");
    assertThat(Files.getPosixFilePermissions(ca.resolve("ca_key.pem")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.readString(ca.resolve("server_cert.pem"))).startsWith("-----BEGIN CERTIFICATE-----");
    Result again = run("keybroker", "init", "--ca", ca.toString(), "--names", "x.example.com");
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains("already exists");
  }

  @Test
  void keybroker_help_listsFlags() {
    Result r = run("keybroker", "--help");

    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("--port", "--secret_prov_port", "--policy", "--secrets", "--ca", "--audit_log",
        "--bind_address", "--serving_cert_validity", "--trust_simulated_tee_insecure", "init");
  }

  @Test
  void keybroker_secretReadableByGroup_exit1WithChmod() throws Exception {
    Path ca = tmp.resolve("ca");
    assertThat(run("keybroker", "init", "--ca", ca.toString(), "--names", "localhost").code()).isZero();
    Path secrets = Files.createDirectories(tmp.resolve("secrets"));
    Path key = Files.write(secrets.resolve("wrap_key"), new byte[16]);
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r-----"));
    Path policy = Files.writeString(tmp.resolve("policy.yaml"),
        "entries:\n  - name: a\n    reference: {sgx: {mr_enclave: [\"" + "ab".repeat(32) + "\"]}}\n"
            + "    secrets: [wrap_key]\n");

    Result r = run("keybroker", "--port", "0", "--bind_address", "127.0.0.1",
        "--policy", policy.toString(), "--secrets", secrets.toString(), "--ca", ca.toString(),
        "--audit_log", tmp.resolve("audit.jsonl").toString(), "--collateral", policy.toString());

    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("chmod 600 " + key);
  }

  @Test
  void keybroker_badDuration_exit2() {
    Result r = run("keybroker", "--policy", "p", "--secrets", "s", "--ca", "c", "--audit_log", "a",
        "--serving_cert_validity", "tomorrow");

    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--serving_cert_validity");
  }

  @Test
  void duration_units_parsed() {
    assertThat(KeybrokerCommand.duration("x", "24h")).isEqualTo(Duration.ofHours(24));
    assertThat(KeybrokerCommand.duration("x", "90m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(KeybrokerCommand.duration("x", "7d")).isEqualTo(Duration.ofDays(7));
    assertThat(KeybrokerCommand.duration("x", "PT30S")).isEqualTo(Duration.ofSeconds(30));
  }
}
