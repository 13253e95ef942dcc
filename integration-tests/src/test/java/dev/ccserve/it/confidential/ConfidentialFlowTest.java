package dev.ccserve.it.confidential;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ccserve.attestation.simulated.DistributionMeasurement;
import dev.ccserve.client.PredictClient;
import dev.ccserve.client.Target;
import dev.ccserve.crypto.tls.TlsContexts;
import dev.ccserve.it.ProcessSupport;
import dev.ccserve.it.ProcessSupport.Result;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The confidential flow across real processes: a key broker, servers in the simulated TEE that
 * attest to it, and a client that verifies the server against the broker's CA. A server whose
 * jars were changed has another measurement and gets nothing.
 */
class ConfidentialFlowTest {
  static final String MODEL = "m";
  static final String SERVICE = "grpc.tf-serving.service.com";
  @TempDir static Path tmp;
  static ProcessSupport procs;
  static int brokerPort;
  static Path tee;
  static Path audit;

  @BeforeAll
  static void setUp() throws Exception {
    procs = new ProcessSupport();
    tee = tmp.resolve("tee");
    Path broker = tmp.resolve("broker");
    Files.createDirectories(broker.resolve("secrets"));
    Path key = broker.resolve("secrets/" + MODEL);
    ok(ProcessSupport.cli("model", "generate", "tiny", "--export_dir",
        tmp.resolve("plain").toString()));
    ok(ProcessSupport.cli("model", "keygen", "--out", key.toString()));
    ok(ProcessSupport.cli("model", "encrypt", "-w", key.toString(), "-i",
        tmp.resolve("plain/1").toString(), "-o", tmp.resolve("models/" + MODEL + "/1").toString(),
        "--quiet"));
    ok(ProcessSupport.cli("keybroker", "init", "--ca", broker.resolve("ca").toString(), "--names",
        "localhost,127.0.0.1"));
    ok(ProcessSupport.cli("attest", "quote", "--attestation", "simulated", "--simulated_dir",
        tee.toString(), "--report_data", "00", "--out", tmp.resolve("q.bin").toString()));
    String mr = DistributionMeasurement.ofRunningClassPath(Map.of()).hex();
    Files.writeString(broker.resolve("policy.yaml"), """
        entries:
          - name: it
            reference:
              sgx: {mr_enclave: [%s]}
              trust_simulated_insecure: true
            secrets: [%s]
            service_names: [%s]
        """.formatted(mr, MODEL, SERVICE));
    brokerPort = ProcessSupport.freePort();
    audit = broker.resolve("audit.jsonl");
    Path log = tmp.resolve("broker.log");
    Process b = procs.start(log, "keybroker", "--port", Integer.toString(brokerPort),
        "--secret_prov_port", Integer.toString(ProcessSupport.freePort()), "--bind_address",
        "127.0.0.1", "--trust_simulated_tee_insecure", tee.toString(), "--policy",
        broker.resolve("policy.yaml").toString(), "--secrets", broker.resolve("secrets").toString(),
        "--ca", broker.resolve("ca").toString(), "--audit_log", audit.toString());
    awaitPort(b, log, brokerPort);
  }

  @AfterAll
  static void tearDown() throws Exception {
    procs.close();
  }

  static void ok(Result r) {
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
  }

  static void awaitPort(Process p, Path log, int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        if (!p.isAlive()) {
          throw new IllegalStateException("broker exited: " + Files.readString(log));
        }
        Thread.sleep(200);
      }
    }
    throw new IllegalStateException("broker did not listen: " + Files.readString(log));
  }

  List<String> serveArgs(int grpc, int rest) {
    return List.of("serve", "--attestation", "simulated", "--simulated_tee_dir", tee.toString(),
        "--keybroker", "127.0.0.1:" + brokerPort, "--keybroker_ca",
        tmp.resolve("broker/ca/ca_cert.pem").toString(), "--service_name", SERVICE,
        "--keybroker_retry_seconds", "5", "--model_name", MODEL, "--model_base_path",
        tmp.resolve("models/" + MODEL).toString(), "--bind_address", "127.0.0.1", "--port",
        Integer.toString(grpc), "--rest_api_port", Integer.toString(rest),
        "--file_system_poll_wait_seconds", "0", "--tensorflow_intra_op_parallelism", "1");
  }

  @Test
  void attestedServer_getsKeyAndCertificate_clientVerifiesAgainstBrokerCa() throws Exception {
    int grpc = ProcessSupport.freePort();
    Path log = tmp.resolve("server-ok.log");
    Process p = procs.start(log, serveArgs(grpc, ProcessSupport.freePort()).toArray(String[]::new));
    ProcessSupport.awaitLog(p, log, "Entering the event loop", 240);
    String ca = Files.readString(tmp.resolve("broker/ca/ca_cert.pem"));
    try (PredictClient c = PredictClient.builder(Target.parse("127.0.0.1:" + grpc))
        .tls(TlsContexts.client(ca, null, null, SERVICE, Clock.systemUTC())).serverName(SERVICE)
        .build()) {
      assertThat(c.getModelStatus(MODEL).getModelVersionStatus(0).getStateValue()).isEqualTo(30);
    }
    // A client that trusts another CA must not accept the server.
    Result r = ProcessSupport.cli("client", "-url", "127.0.0.1:" + grpc, "--server_name", SERVICE,
        "-crt", tmp.resolve("broker/ca/server_cert.pem").toString(), "--model", MODEL, "-cnum", "1",
        "-loop", "1");
    assertThat(r.exitCode()).isNotZero();
    Result good = ProcessSupport.cli("client", "-url", "127.0.0.1:" + grpc, "--server_name",
        SERVICE, "-crt", tmp.resolve("broker/ca/ca_cert.pem").toString(), "--model", MODEL, "-cnum",
        "1", "-loop",
        "2");
    assertThat(good.exitCode()).as(good.err()).isZero();
    assertThat(good.out()).contains("summary: cnum 1, batch 1");
    byte[] keyBytes = Files.readAllBytes(tmp.resolve("broker/secrets/" + MODEL));
    assertThat(Files.readString(audit)).contains("\"decision\":\"released\"")
        .doesNotContain(java.util.HexFormat.of().formatHex(keyBytes))
        .doesNotContain(java.util.Base64.getEncoder().encodeToString(keyBytes));
  }

  @Test
  void tamperedJar_changesMeasurement_andGetsNothing() throws Exception {
    List<String> cp = new ArrayList<>(List.of(
        System.getProperty("java.class.path").split(File.pathSeparator)));
    int idx = -1;
    for (int i = 0; i < cp.size(); i++) {
      if (cp.get(i).contains("ccserve-server") && cp.get(i).endsWith(".jar")) {
        idx = i;
      }
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(idx >= 0,
        "the server module is not on the class path as a jar (run through 'mvn verify')");
    Path tampered = tmp.resolve("ccserve-server-tampered.jar");
    addEntry(Path.of(cp.get(idx)), tampered, "dev/ccserve/server/Backdoor.txt", "hello");
    cp.set(idx, tampered.toString());
    List<String> cmd = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"), "-cp",
        String.join(File.pathSeparator, cp), "dev.ccserve.cli.Main"));
    cmd.addAll(serveArgs(ProcessSupport.freePort(), ProcessSupport.freePort()));
    Path log = tmp.resolve("server-tampered.log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
        .start();
    assertThat(p.waitFor(240, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(log)).isNotZero();
    assertThat(Files.readString(log)).contains("key broker");
    String auditText = Files.readString(audit);
    assertThat(auditText).contains("\"decision\":\"denied\"");
  }

  static void addEntry(Path in, Path out, String name, String content) throws IOException {
    try (ZipInputStream zin = new ZipInputStream(Files.newInputStream(in));
        ZipOutputStream zout = new ZipOutputStream(Files.newOutputStream(out))) {
      for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
        zout.putNextEntry(new ZipEntry(e.getName()));
        zin.transferTo(zout);
        zout.closeEntry();
      }
      zout.putNextEntry(new ZipEntry(name));
      OutputStream o = zout;
      o.write(content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      zout.closeEntry();
    }
  }
}
