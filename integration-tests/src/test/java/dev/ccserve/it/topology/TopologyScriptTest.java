package dev.ccserve.it.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code deploy/local/topology.sh}: three network-namespace hosts (key broker, two replicas behind
 * nginx in TLS passthrough, client), each replica must serve requests, and killing one replica
 * while the client runs must lose no request. Needs root, {@code ip netns}, nginx with the stream
 * module and a packaged distribution ({@code cli/target/lib}); skips with the reason otherwise, or
 * when {@code -Dccserve.topology.skip=true}. Takes about 2-3 minutes on 2 cores (tiny model).
 */
class TopologyScriptTest {
  // Unique per test JVM: two builds on one machine (e.g. two engineers running this module) must
  // not tear down each other's namespaces. Addresses may repeat: each run has its own bridge.
  private static final String NS = "ccsit" + ProcessHandle.current().pid() % 100_000;
  private static final String NET = "10.213.78";

  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void run_twoReplicasBehindNginx_eachServesAndKillingOneLosesNoRequest() throws Exception {
    assumeTrue(!Boolean.getBoolean("ccserve.topology.skip"), "SKIPPED: -Dccserve.topology.skip=true");
    assumeRootWithNetns();
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/nginx")) || onPath("nginx"),
        "SKIPPED: nginx is not installed (apt-get install -y nginx libnginx-mod-stream)");
    assumeTrue(Files.exists(Path.of("/usr/lib/nginx/modules/ngx_stream_module.so")),
        "SKIPPED: the nginx stream module is not installed (apt-get install -y libnginx-mod-stream)");
    Path root = repoRoot();
    assumeTrue(Files.isDirectory(root.resolve("cli/target/lib")),
        "SKIPPED: no packaged distribution in cli/target (run ./mvnw package or ./ccserve --version)");
    Path work = root.resolve("integration-tests/target/topology-it-" + NS);
    String mode = System.getProperty("ccserve.topology.mode", "confidential");

    Run r = script(root, work, 7, "run", "--replicas", "2", "--arch", "tiny", "--mode", mode);

    Map<String, String> result = readResult(work.resolve("result.env"));
    assertThat(r.exitCode()).as("topology.sh run failed; output:%n%s", r.output()).isZero();
    assertThat(result).as("result.env").containsEntry("result", "PASS").containsEntry("mode", mode);
    assertThat(r.output()).containsPattern("(?m)^replica 1: [1-9][0-9]* requests$")
        .containsPattern("(?m)^replica 2: [1-9][0-9]* requests$");
    assertThat(num(result, "replica_1_requests")).isPositive();
    assertThat(num(result, "replica_2_requests")).isPositive();
    if (mode.equals("confidential")) {
      // each replica attested to the broker on host A and got the key and its certificate
      assertThat(num(result, "broker_key_releases")).isGreaterThanOrEqualTo(2);
      assertThat(num(result, "broker_certificates")).isGreaterThanOrEqualTo(2);
    }
    // the no-lost-request property of the fault test
    assertThat(num(result, "fault_victim_served_before_kill")).isGreaterThanOrEqualTo(3);
    assertThat(num(result, "fault_requests")).isPositive();
    assertThat(num(result, "fault_succeeded")).isEqualTo(num(result, "fault_requests"));
    assertThat(num(result, "fault_errors")).isZero();
    assertThat(num(result, "fault_client_exit")).isZero();
    assertThat(num(result, "fault_survivors_served_after_kill")).isPositive();
    // torn down: no namespace of the run is left
    assertThat(exec(List.of("ip", "netns", "list"), 10).output()).doesNotContain(NS + "-");
  }

  @Test
  void run_notRoot_saysSoAndFails() throws Exception {
    assumeTrue(onPath("setpriv"), "SKIPPED: setpriv (util-linux) is not installed");
    assumeTrue(isRoot(), "SKIPPED: needs root to drop to nobody");
    Path root = repoRoot();
    Run r = exec(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
        root.resolve("deploy/local/topology.sh").toString(), "run", "--fault", "none"), 30);
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.output()).contains("must run as root");
  }

  @Test
  void run_badArguments_rejectedBeforeAnythingStarts() throws Exception {
    Path root = repoRoot();
    String script = root.resolve("deploy/local/topology.sh").toString();
    Run arch = exec(List.of(script, "run", "--arch", "vgg"), 30);
    assertThat(arch.exitCode()).isEqualTo(1);
    assertThat(arch.output()).contains("--arch must be tiny or resnet50, found 'vgg'");
    Run one = exec(List.of(script, "run", "--replicas", "1"), 30);
    assertThat(one.exitCode()).isEqualTo(1);
    assertThat(one.output()).contains("--fault kill needs --replicas >= 2");
  }

  @Test
  void script_shellcheck_reportsNothing() throws Exception {
    assumeTrue(onPath("shellcheck"), "SKIPPED: shellcheck is not installed (apt-get install shellcheck)");
    Run r = exec(List.of("shellcheck", "--severity=style",
        repoRoot().resolve("deploy/local/topology.sh").toString()), 60);
    assertThat(r.exitCode()).as(r.output()).isZero();
  }

  private static void assumeRootWithNetns() throws Exception {
    assumeTrue(isRoot(), "SKIPPED: topology.sh needs root (network namespaces); run the build as root");
    assumeTrue(onPath("ip"), "SKIPPED: 'ip' is not installed (apt-get install -y iproute2)");
    Run probe = exec(List.of("ip", "netns", "add", NS + "-probe"), 10);
    exec(List.of("ip", "netns", "del", NS + "-probe"), 10);
    assumeTrue(probe.exitCode() == 0,
        "SKIPPED: cannot create a network namespace here (no CAP_SYS_ADMIN?): " + probe.output().trim());
  }

  private static boolean isRoot() throws Exception {
    return exec(List.of("id", "-u"), 10).output().trim().equals("0");
  }

  private static Run script(Path root, Path work, int minutes, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(root.resolve("deploy/local/topology.sh").toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("CCSERVE_TOPO_DIR", work.toString());
    pb.environment().put("CCSERVE_TOPO_NS", NS);
    pb.environment().put("CCSERVE_TOPO_NET", NET);
    pb.environment().put("CCSERVE_SKIP_BUILD", "1");
    return run(pb, minutes * 60L);
  }

  private static Run exec(List<String> cmd, long seconds) throws Exception {
    return run(new ProcessBuilder(cmd).redirectErrorStream(true), seconds);
  }

  private static Run run(ProcessBuilder pb, long seconds) throws Exception {
    Path out = Files.createTempFile("topology-it", ".log");
    try {
      Process p = pb.redirectOutput(out.toFile()).start();
      p.getOutputStream().close();
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        p.waitFor(20, TimeUnit.SECONDS);
        throw new AssertionError("expected " + pb.command() + " to finish within " + seconds
            + " s; it did not. Output:\n" + Files.readString(out, StandardCharsets.UTF_8));
      }
      return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private static Map<String, String> readResult(Path file) throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    if (Files.exists(file)) {
      for (String line : Files.readAllLines(file)) {
        int eq = line.indexOf('=');
        if (eq > 0) {
          m.put(line.substring(0, eq), line.substring(eq + 1));
        }
      }
    }
    return m;
  }

  private static long num(Map<String, String> result, String key) {
    String v = result.get(key);
    assertThat(v).as("result.env has %s (found keys %s)", key, result.keySet()).isNotNull();
    return Long.parseLong(v);
  }

  private static boolean onPath(String program) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }

  private static Path repoRoot() {
    String override = System.getProperty("ccserve.repo");
    if (override != null) {
      return Path.of(override).toAbsolutePath().normalize();
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("deploy/local/topology.sh")) && Files.isRegularFile(p.resolve("mvnw"))) {
        return p;
      }
    }
    throw new IllegalStateException("expected a repository root with deploy/local/topology.sh above "
        + Path.of("").toAbsolutePath() + "; found none (set -Dccserve.repo=DIR)");
  }

  private record Run(int exitCode, String output) {}
}
