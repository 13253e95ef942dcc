package dev.ccserve.cli;

import dev.ccserve.client.PredictClient;
import dev.ccserve.client.Target;
import dev.ccserve.crypto.tls.TlsContexts;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code ccserve demo}: the whole confidential flow on this machine, each step printed as the
 * command a user would type. Broker and server run as separate processes of this distribution;
 * the TEE is SIMULATED (INSECURE). Work files go to {@code --dir}; logs to {@code <dir>/logs}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Run the confidential flow end to end on this machine: generate -> tls -> "
        + "keygen -> encrypt -> key broker -> server in a SIMULATED (INSECURE) TEE -> client.",
        "Every step is printed as the ccserve command it runs."})
public final class DemoCommand implements Callable<Integer> {
  static final String MODEL = "resnet50-v15-fp32";
  static final String SERVICE = "grpc.tf-serving.service.com";

  @Spec CommandSpec spec;

  @Option(names = "--dir", defaultValue = ".ccserve-demo",
      description = "Working directory for the demo's files (default: ${DEFAULT-VALUE}).")
  Path dir;

  @Option(names = "--arch", defaultValue = "resnet50",
      description = "Model to generate: resnet50 or tiny (default: ${DEFAULT-VALUE}).")
  String arch;

  @Option(names = "--loop", defaultValue = "10",
      description = "Requests the client sends (default: ${DEFAULT-VALUE}).")
  int loop;

  @Option(names = "--timeout_seconds", defaultValue = "600",
      description = "Give up waiting for the server after this long (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Option(names = "--replicas", defaultValue = "1",
      description = "Server replicas (default: ${DEFAULT-VALUE}). More than 1 puts a real nginx "
          + "in TLS passthrough (deploy/nginx/render.sh) in front, sends the client through it "
          + "and prints how many requests each replica served. Needs nginx with the stream module.")
  int replicas;

  private final List<Process> children = new ArrayList<>();
  private PrintWriter out;
  private int step;

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    // --- --replicas N (N > 1): nginx must be there before anything starts ---
    if (replicas < 1) {
      throw CliException.usage("--replicas must be >= 1, found " + replicas);
    }
    if (replicas > 1 && DemoReplicas.nginx() == null) {
      spec.commandLine().getErr().println("ccserve demo: --replicas " + replicas + " needs nginx "
          + "with the stream module, which is not installed; install it with: "
          + DemoReplicas.INSTALL);
      return 1;
    }
    Path work = dir.toAbsolutePath();
    Files.createDirectories(work.resolve("logs"));
    out.println("ccserve demo: confidential serving on one machine. The TEE is SIMULATED "
        + "(INSECURE): it proves nothing about hardware; see docs/security.md.");
    out.println("working directory: " + work);
    try {
      run(work);
      return 0;
    } finally {
      stopChildren();
    }
  }

  private void run(Path work) throws Exception {
    Path plain = work.resolve("plain/" + MODEL);
    Path models = work.resolve("models/" + MODEL);
    Path broker = work.resolve("broker");
    Path key = broker.resolve("secrets/" + MODEL);
    Path tee = work.resolve("simulated-tee");
    for (Path p : List.of(models, broker, tee)) {
      deleteTree(p);
    }
    Files.createDirectories(broker.resolve("secrets"));

    if (!Files.isDirectory(plain.resolve("1"))) {
      cli("generate the model (deterministic weights)", "model", "generate", arch,
          "--export_dir", plain.toString(), "--model_version", "1");
    } else {
      say("generate the model", "reusing " + plain.resolve("1"));
    }
    cli("make the model owner's wrap key", "model", "keygen", "--out", key.toString());
    cli("encrypt the model (Gramine protected files, bound to their paths)", "model", "encrypt",
        "-w", key.toString(), "-i", plain.resolve("1").toString(), "-o",
        models.resolve("1").toString(), "--quiet");
    cli("make the key broker's CA and TLS certificate", "keybroker", "init", "--ca",
        broker.resolve("ca").toString(), "--names", "localhost,127.0.0.1");
    String measurement = measure(work);
    Path policy = broker.resolve("policy.yaml");
    Files.writeString(policy, policyYaml(measurement));
    say("write the broker policy", policy + ": release '" + MODEL + "' and a serving "
        + "certificate for " + SERVICE + " to MRENCLAVE " + measurement.substring(0, 16)
        + "… (trusting the SIMULATED root: INSECURE, demo only)");

    int brokerPort = freePort();
    int grpcPort = freePort();
    int restPort = freePort();
    // --- --replicas N (N > 1): replica i > 1 gets its own ports; the client goes through nginx ---
    List<DemoReplicas.Replica> reps = new ArrayList<>();
    reps.add(new DemoReplicas.Replica(1, grpcPort, restPort));
    for (int i = 2; i <= replicas; i++) {
      reps.add(new DemoReplicas.Replica(i, freePort(), freePort()));
    }
    // The simulated TEE's keys are created by their first user; the broker needs its root.
    cli("create the SIMULATED TEE's keys (INSECURE) with a first quote", "attest", "quote",
        "--attestation", "simulated", "--simulated_dir", tee.toString(), "--report_data", "00",
        "--out", work.resolve("logs/first-quote.bin").toString());
    start("broker", work, "start the key broker (trusting the simulated TEE: INSECURE)",
        "keybroker", "--port", Integer.toString(brokerPort), "--secret_prov_port",
        Integer.toString(freePort()), "--bind_address", "127.0.0.1",
        "--trust_simulated_tee_insecure", tee.toString(), "--policy",
        policy.toString(), "--secrets", broker.resolve("secrets").toString(), "--ca",
        broker.resolve("ca").toString(), "--audit_log", broker.resolve("audit.jsonl").toString());
    for (DemoReplicas.Replica r : reps) {
      start(replicas == 1 ? "server" : "server-" + r.index(), work, "start the server"
          + (replicas == 1 ? "" : " (replica " + r.index() + " of " + replicas + ")")
          + " in the simulated TEE: attest, get the key and "
          + "certificate, decrypt in memory", "serve", "--attestation", "simulated",
          "--simulated_tee_dir", tee.toString(), "--keybroker", "127.0.0.1:" + brokerPort,
          "--keybroker_ca", broker.resolve("ca/ca_cert.pem").toString(), "--service_name",
          SERVICE, "--model_name", MODEL, "--model_base_path", models.toString(),
          "--bind_address", "127.0.0.1", "--port", Integer.toString(r.grpcPort()),
          "--rest_api_port", Integer.toString(r.restPort()), "--file_system_poll_wait_seconds",
          "0");
    }
    String ca = broker.resolve("ca/ca_cert.pem").toString();
    if (replicas > 1) {
      runReplicated(work, reps, ca);
    } else {
      waitReady(grpcPort, ca);
      cli("predict over TLS, verifying the server against the broker's CA", "client", "-url",
          "127.0.0.1:" + grpcPort, "--server_name", SERVICE, "-crt", ca, "-batch", "1", "-cnum",
          "1", "-loop", Integer.toString(loop));
    }
    say("audit log of the key broker", broker.resolve("audit.jsonl").toString());
    for (String line : Files.readAllLines(broker.resolve("audit.jsonl"))) {
      out.println("    " + line);
    }
    out.println("demo finished: the model was decrypted only inside the (simulated) TEE, and "
        + "every prediction went over TLS that ends there.");
  }

  /** --replicas N (N > 1): nginx in passthrough in front, client through it, counts per replica. */
  private void runReplicated(Path work, List<DemoReplicas.Replica> reps, String ca)
      throws Exception {
    int lbGrpc = freePort();
    int lbRest = freePort();
    Path prefix = work.resolve("nginx");
    deleteTree(prefix);
    List<String> render = DemoReplicas.renderCommand(DemoReplicas.renderScript(), prefix, reps,
        lbGrpc, lbRest);
    step++;
    out.printf("%n[%d] render nginx in TLS passthrough for %d replicas (nginx never sees "
        + "plaintext)%n    $ %s%n", step, reps.size(), String.join(" ", render));
    out.flush();
    DemoReplicas.render(render, work.resolve("logs/nginx-render.log"));
    List<String> nginx = DemoReplicas.nginxCommand(DemoReplicas.nginx(), prefix);
    step++;
    Path log = work.resolve("logs/nginx.log");
    out.printf("%n[%d] start nginx%n    $ %s%n    (process log: %s)%n", step,
        String.join(" ", nginx), log);
    out.flush();
    children.add(new ProcessBuilder(nginx).redirectErrorStream(true).redirectOutput(log.toFile())
        .start());
    for (DemoReplicas.Replica r : reps) {
      waitReady(r.grpcPort(), ca);
    }
    String caPem = Files.readString(Path.of(ca));
    long[] before = new long[reps.size()];
    for (int i = 0; i < reps.size(); i++) {
      before[i] = DemoReplicas.fetchPredictCount(reps.get(i), caPem, SERVICE);
    }
    cli("predict over TLS through nginx (one connection per replica: nginx balances TCP "
        + "connections), verifying the server against the broker's CA", "client", "-url",
        "127.0.0.1:" + lbGrpc, "--server_name", SERVICE, "-crt", ca, "-batch", "1", "-cnum",
        Integer.toString(reps.size()), "-loop", Integer.toString(loop));
    step++;
    out.printf("%n[%d] requests per replica (ccserve_requests_total, api=\"predict\", from each "
        + "replica's /monitoring/prometheus/metrics over HTTPS)%n", step);
    for (int i = 0; i < reps.size(); i++) {
      DemoReplicas.Replica r = reps.get(i);
      out.println("replica " + r.index() + ": "
          + (DemoReplicas.fetchPredictCount(r, caPem, SERVICE) - before[i]) + " requests");
    }
    out.flush();
  }

  private String measure(Path work) throws Exception {
    step++;
    out.printf("%n[%d] compute the measurement a broker must expect%n    $ ccserve measure%n", step);
    out.flush();
    java.io.StringWriter sw = new java.io.StringWriter();
    int rc = new Main(new PrintWriter(sw, true), spec.commandLine().getErr()).run("measure");
    if (rc != 0) {
      throw new CliException("ccserve measure failed with exit code " + rc);
    }
    String m = sw.toString().lines().map(String::trim)
        .filter(l -> l.matches("(?i).*[0-9a-f]{64}.*")).findFirst()
        .orElseThrow(() -> new CliException("ccserve measure printed no measurement: " + sw))
        .replaceAll("(?i).*?([0-9a-f]{64}).*", "$1").toLowerCase();
    out.println("    " + m);
    return m;
  }

  static String policyYaml(String mrEnclave) {
    return """
        # Written by 'ccserve demo'. DANGEROUS outside a demo: it trusts the SIMULATED TEE.
        entries:
          - name: demo-server
            reference:
              sgx:
                mr_enclave: [%s]
              accepted_tcb_statuses: [UpToDate]
              trust_simulated_insecure: true
            secrets: [%s]
            service_names: [%s]
            allow_no_nonce: false
        """.formatted(mrEnclave, MODEL, SERVICE);
  }

  private void say(String what, String detail) {
    step++;
    out.printf("%n[%d] %s%n    %s%n", step, what, detail);
    out.flush();
  }

  private void cli(String what, String... args) {
    step++;
    out.printf("%n[%d] %s%n    $ ccserve %s%n", step, what, String.join(" ", args));
    out.flush();
    int rc = new Main(out, spec.commandLine().getErr()).run(args);
    out.flush();
    if (rc != 0) {
      throw new CliException("step " + step + " (ccserve " + args[0] + ") failed with exit code "
          + rc);
    }
  }

  private void start(String name, Path work, String what, String... args) throws IOException {
    step++;
    Path log = work.resolve("logs/" + name + ".log");
    out.printf("%n[%d] %s%n    $ ccserve %s%n    (process log: %s)%n", step, what,
        String.join(" ", args), log);
    out.flush();
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    for (String p : List.of("org.slf4j.simpleLogger.showDateTime",
        "org.slf4j.simpleLogger.dateTimeFormat", "org.slf4j.simpleLogger.showThreadName")) {
      if (System.getProperty(p) != null) {
        cmd.add("-D" + p + "=" + System.getProperty(p));
      }
    }
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().putIfAbsent("TF_CPP_MIN_LOG_LEVEL", "2");
    children.add(pb.start());
  }

  private void waitReady(int grpcPort, String caFile) throws Exception {
    step++;
    out.printf("%n[%d] wait until the server reports the model AVAILABLE (gRPC over TLS)%n", step);
    out.flush();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    String ca = Files.readString(Path.of(caFile));
    String last = "";
    while (System.nanoTime() < deadline) {
      for (Process p : children) {
        if (!p.isAlive()) {
          throw new CliException("a demo process exited early with code " + p.exitValue()
              + "; see " + dir.resolve("logs"));
        }
      }
      try (PredictClient c = PredictClient.builder(Target.parse("127.0.0.1:" + grpcPort))
          .tls(TlsContexts.client(ca, null, null, SERVICE, Clock.systemUTC()))
          .serverName(SERVICE).deadline(Duration.ofSeconds(5)).build()) {
        var s = c.getModelStatus(MODEL);
        if (s.getModelVersionStatusList().stream().anyMatch(v -> v.getStateValue() == 30)) {
          out.println("    " + MODEL + " is AVAILABLE");
          return;
        }
      } catch (RuntimeException e) {
        String m = String.valueOf(e.getMessage());
        if (!m.equals(last)) {
          out.println("    not yet: " + m);
          out.flush();
          last = m;
        }
      }
      Thread.sleep(1000);
    }
    throw new CliException("the server did not become ready within " + timeoutSeconds
        + " s; see " + dir.resolve("logs/server.log"));
  }

  private void stopChildren() {
    for (Process p : children) {
      p.destroy();
    }
    for (Process p : children) {
      try {
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    children.clear();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var w = Files.walk(p)) {
      for (Path q : w.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
