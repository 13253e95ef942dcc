package dev.ccserve.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ccserve attest verify|quote} through {@link Main} with string writers. */
class AttestCommandTest {
  static final String SET_A_MRENCLAVE = "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb";
  @TempDir Path tmp;
  StringWriter out = new StringWriter();
  StringWriter err = new StringWriter();

  static Path testdata(String rel) {
    String prop = System.getProperty("ccserve.testdata");
    Path base = prop != null ? Paths.get(prop) : null;
    for (Path p = Paths.get("").toAbsolutePath(); base == null && p != null; p = p.getParent()) {
      Path c = p.resolveSibling("shared").resolve("testdata");
      if (p.getParent() != null && Files.isDirectory(c)) {
        base = c;
      }
    }
    assumeTrue(base != null && Files.exists(base.resolve(rel)), "shared/testdata absent; skipping");
    return base.resolve(rel);
  }

  int run(String... args) {
    out = new StringWriter();
    err = new StringWriter();
    return new Main(new PrintWriter(out, true), new PrintWriter(err, true)).run(args);
  }

  JsonNode verdict() throws Exception {
    return new ObjectMapper().readTree(out.toString());
  }

  @Test
  void verify_setBAtPinnedInstant_exit0Accepted() throws Exception {
    int code = run("attest", "verify", "--evidence", testdata("dcap/tdx_quote").toString(),
        "--collateral", testdata("dcap/tdx_quote_collateral.json").toString(),
        "--at", "2025-06-20T00:00:00Z");
    assertThat(code).as(out + "" + err).isEqualTo(0);
    JsonNode v = verdict();
    assertThat(v.get("accepted").asBoolean()).isTrue();
    assertThat(v.get("tee").asText()).isEqualTo("TDX");
    assertThat(v.get("tcb_status").asText()).isEqualTo("UpToDate");
    assertThat(v.get("measurements").get("mr_td").asText()).startsWith("91eb2b44");
  }

  @Test
  void verify_setA_exit1WithStatus_thenAcceptedByPolicy() throws Exception {
    String[] base = {"attest", "verify", "--evidence", testdata("dcap/sgx_quote").toString(),
        "--collateral", testdata("dcap/sgx_quote_collateral.json").toString(),
        "--at", "2025-06-20T00:00:00Z"};
    assertThat(run(base)).isEqualTo(1);
    JsonNode v = verdict();
    assertThat(v.get("accepted").asBoolean()).isFalse();
    assertThat(v.get("reason").asText()).isEqualTo("TCB_STATUS_REJECTED");
    assertThat(v.get("step").asText()).isEqualTo("policy.tcb_status");
    assertThat(v.get("advisory_ids").toString()).contains("INTEL-SA-00289", "INTEL-SA-00615");

    Path policy = Files.writeString(tmp.resolve("p.yaml"), "sgx:\n  mr_enclave: [\"" + SET_A_MRENCLAVE
        + "\"]\naccepted_tcb_statuses: [UpToDate, ConfigurationAndSWHardeningNeeded]\n");
    String[] withPolicy = java.util.Arrays.copyOf(base, base.length + 2);
    withPolicy[base.length] = "--policy";
    withPolicy[base.length + 1] = policy.toString();
    assertThat(run(withPolicy)).as(out.toString()).isEqualTo(0);

    Files.writeString(policy, "sgx:\n  mr_enclave: [\"" + "00".repeat(32)
        + "\"]\naccepted_tcb_statuses: [UpToDate, ConfigurationAndSWHardeningNeeded]\n");
    assertThat(run(withPolicy)).isEqualTo(1);
    assertThat(verdict().get("reason").asText()).isEqualTo("MEASUREMENT_MISMATCH");
    assertThat(verdict().get("step").asText()).isEqualTo("policy.mr_enclave");
  }

  @Test
  void verify_setCAndExpired_exit1WithReason() throws Exception {
    assertThat(run("attest", "verify", "--evidence", testdata("dcap/tdx_quote_outdated").toString(),
        "--collateral", testdata("dcap/tdx_quote_outdated_collateral.json").toString(),
        "--at", "2026-02-19T00:00:00Z")).isEqualTo(1);
    assertThat(verdict().get("reason").asText()).isEqualTo("TCB_NOT_SUPPORTED");
    assertThat(run("attest", "verify", "--evidence", testdata("dcap/tdx_quote").toString(),
        "--collateral", testdata("dcap/tdx_quote_collateral.json").toString(),
        "--at", "2025-08-01T00:00:00Z")).isEqualTo(1);
    assertThat(verdict().get("reason").asText()).isEqualTo("COLLATERAL_EXPIRED");
  }

  @Test
  void verify_snpReport_debugRejectedByBaseline_acceptedByExplicitPolicy() throws Exception {
    String[] base = {"attest", "verify", "--evidence", testdata("snp/attestation.bin").toString(),
        "--vcek", testdata("snp/vcek.testcer").toString(), "--at", "2025-06-20T00:00:00Z"};
    assertThat(run(base)).isEqualTo(1);
    assertThat(verdict().get("tee").asText()).isEqualTo("SEV_SNP");
    assertThat(verdict().get("reason").asText()).isEqualTo("DEBUG_NOT_ALLOWED");
    Path policy = Files.writeString(tmp.resolve("snp.yaml"), "snp:\n  measurement: [\""
        + "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01"
        + "\"]\nallow_debug_enclaves_insecure: true\n");
    String[] withPolicy = java.util.Arrays.copyOf(base, base.length + 2);
    withPolicy[base.length] = "--policy";
    withPolicy[base.length + 1] = policy.toString();
    assertThat(run(withPolicy)).as(out.toString()).isEqualTo(0);
  }

  @Test
  void verify_usageErrors_exit2() throws Exception {
    Path q = testdata("dcap/sgx_quote");
    assertThat(run("attest", "verify", "--evidence", q.toString(), "--at", "yesterday")).isEqualTo(2);
    assertThat(err.toString()).contains("--at");
    assertThat(run("attest", "verify", "--evidence", tmp.resolve("none").toString())).isEqualTo(2);
    assertThat(run("attest", "verify", "--evidence", q.toString(), "--collateral", q.toString(),
        "--pccs_url", "http://127.0.0.1:1")).isEqualTo(2);
    Path bad = Files.writeString(tmp.resolve("bad.yaml"), "sgx: {mr_enclav: x}\n");
    assertThat(run("attest", "verify", "--evidence", q.toString(), "--policy", bad.toString()))
        .isEqualTo(2);
    assertThat(err.toString()).contains("mr_enclav");
    // A missing required option is a picocli parse error: its exit code is Main's mapper's choice.
    assertThat(run("attest", "verify")).isNotEqualTo(0);
  }

  @Test
  void quoteSimulated_thenVerify_onlyWithSimulatedRootTrusted() throws Exception {
    Path sim = tmp.resolve("sim");
    Path ev = tmp.resolve("q.bin");
    String rd = "ab".repeat(64);
    Path jar = Files.write(tmp.resolve("ccserve-app.jar"), new byte[] {1, 2, 3});
    assertThat(run("attest", "quote", "--attestation", "simulated", "--report_data", rd,
        "--out", ev.toString(), "--simulated_dir", sim.toString(), "--path", jar.toString()))
        .as(err.toString()).isEqualTo(0);
    assertThat(out.toString()).contains("INSECURE");
    assertThat(ev.resolveSibling("q.bin.collateral.json")).exists();

    assertThat(run("attest", "verify", "--evidence", ev.toString())).isEqualTo(1);
    assertThat(verdict().get("reason").asText()).isEqualTo("UNTRUSTED_ROOT");

    assertThat(run("attest", "verify", "--evidence", ev.toString(), "--trust_simulated_root",
        sim.toString())).as(out.toString()).isEqualTo(0);
    JsonNode v = verdict();
    assertThat(v.get("simulated").asBoolean()).isTrue();
    // the simulated MRENCLAVE is what 'ccserve measure' prints for the same jars
    String expected = new MeasureCommandTest().run(0, "measure", "--path", jar.toString());
    assertThat(v.get("measurements").get("mr_enclave").asText()).isEqualTo(expected);
    assertThat(v.get("report_data").asText()).isEqualTo(rd);
    assertThat(err.toString()).contains("INSECURE");

    Path policy = Files.writeString(tmp.resolve("p.yaml"),
        "sgx: {mr_enclave: \"" + v.get("measurements").get("mr_enclave").asText() + "\"}\n");
    assertThat(run("attest", "verify", "--evidence", ev.toString(), "--trust_simulated_root",
        sim.toString(), "--policy", policy.toString())).isEqualTo(1);
    assertThat(verdict().get("reason").asText()).isEqualTo("SIMULATED_NOT_TRUSTED");
  }

  @Test
  void quote_badReportDataOrProvider_exit2() {
    Path ev = tmp.resolve("q.bin");
    assertThat(run("attest", "quote", "--attestation", "simulated", "--report_data", "zz",
        "--out", ev.toString(), "--simulated_dir", tmp.resolve("s").toString())).isEqualTo(2);
    assertThat(run("attest", "quote", "--attestation", "simulated", "--report_data", "00".repeat(65),
        "--out", ev.toString(), "--simulated_dir", tmp.resolve("s").toString())).isEqualTo(2);
    assertThat(run("attest", "quote", "--attestation", "sgx-magic", "--report_data", "00",
        "--out", ev.toString())).isEqualTo(2);
  }

  @Test
  void quote_hardwareProviderWithoutDevice_exit1WithMessage() {
    org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(Path.of("/dev/attestation/quote")),
        "a Gramine /dev/attestation exists here; skipping the no-device case");
    Path ev = tmp.resolve("q.bin");
    assertThat(run("attest", "quote", "--attestation", "gramine", "--report_data", "00",
        "--out", ev.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("ccserve");
    assertThat(ev).doesNotExist();
  }
}
