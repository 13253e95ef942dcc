package dev.ccserve.cli;

import dev.ccserve.crypto.tls.ClientTls;
import dev.ccserve.crypto.tls.TlsContexts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;

/**
 * The {@code --replicas N} part of {@code ccserve demo}: a real nginx in TLS passthrough in front
 * of N server replicas, rendered with {@code deploy/nginx/render.sh} (so the demo runs the same
 * configuration as a deployment), and each replica's Predict count read from its Prometheus
 * metrics over HTTPS verified against the broker's CA. nginx runs under {@code <dir>/nginx} with
 * one worker (round robin per worker, so connections alternate over the replicas). Stateless
 * apart from the files it writes; not thread-safe.
 */
final class DemoReplicas {
  static final Path NGINX_STREAM_MODULE = Path.of("/usr/lib/nginx/modules/ngx_stream_module.so");
  static final String INSTALL = "apt-get install -y nginx libnginx-mod-stream";

  /** One replica's ports on 127.0.0.1. */
  record Replica(int index, int grpcPort, int restPort) {
    Replica {
      if (index < 1 || grpcPort < 1 || restPort < 1) {
        throw new IllegalArgumentException("expected index >= 1 and ports > 0, found " + index
            + ", " + grpcPort + ", " + restPort);
      }
    }
  }

  private DemoReplicas() {}

  /** The nginx binary on PATH, or null when nginx or its stream module is not installed. */
  static Path nginx() {
    if (!Files.exists(NGINX_STREAM_MODULE)) {
      return null;
    }
    for (String d : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin").split(":")) {
      Path p = Path.of(d.isEmpty() ? "." : d, "nginx");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    Path sbin = Path.of("/usr/sbin/nginx");
    return Files.isExecutable(sbin) ? sbin : null;
  }

  /** {@code deploy/nginx/render.sh} of this distribution (found through {@code ccserve.home}). */
  static Path renderScript() {
    String home = System.getProperty("ccserve.home");
    Path script = home == null ? null : Path.of(home, "deploy/nginx/render.sh");
    if (script == null || !Files.isExecutable(script)) {
      throw new CliException("--replicas needs deploy/nginx/render.sh of the ccserve source tree; "
          + "expected it under ccserve.home (set by the ./ccserve launcher), found "
          + (home == null ? "no ccserve.home" : script + " missing"));
    }
    return script;
  }

  /** Renders {@code <prefix>/nginx.conf}: passthrough from the two listen ports to the replicas. */
  static List<String> renderCommand(Path script, Path prefix, List<Replica> replicas, int grpcPort,
      int restPort) {
    List<String> backends = new ArrayList<>();
    for (Replica r : replicas) {
      backends.add("127.0.0.1:" + r.grpcPort() + ":" + r.restPort());
    }
    return List.of(script.toString(), "--prefix", prefix.toString(), "--mode", "passthrough",
        "--backends", String.join(",", backends), "--listen-grpc", "127.0.0.1:" + grpcPort,
        "--listen-rest", "127.0.0.1:" + restPort, "--workers", "1");
  }

  static void render(List<String> command, Path log) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
        .start();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new CliException("deploy/nginx/render.sh failed; see " + log);
    }
  }

  /** nginx in the foreground (the demo stops it with its other child processes). */
  static List<String> nginxCommand(Path nginx, Path prefix) {
    return List.of(nginx.toString(), "-c", prefix.resolve("nginx.conf").toString(), "-p",
        prefix + "/", "-e", prefix.resolve("logs/error.log").toString(), "-g", "daemon off;");
  }

  /**
   * Sums the {@code ccserve_requests_total} samples with {@code api="predict"} (all statuses) of
   * one Prometheus text exposition.
   */
  static long predictCount(String metricsText) {
    long sum = 0;
    for (String line : metricsText.split("\n")) {
      if (line.startsWith("ccserve_requests_total{") && line.contains("api=\"predict\"")) {
        String value = line.substring(line.lastIndexOf(' ') + 1).trim();
        sum += (long) Double.parseDouble(value);
      }
    }
    return sum;
  }

  /** GETs a replica's metrics over HTTPS, verifying its certificate against {@code caPem}. */
  static long fetchPredictCount(Replica r, String caPem, String serviceName)
      throws IOException, InterruptedException {
    ClientTls tls = TlsContexts.client(caPem, null, null, serviceName, Clock.systemUTC());
    SSLParameters params = tls.sslContext().getDefaultSSLParameters();
    params.setServerNames(List.of(new SNIHostName(serviceName)));
    HttpClient http = HttpClient.newBuilder().sslContext(tls.sslContext()).sslParameters(params)
        .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:"
        + r.restPort() + "/monitoring/prometheus/metrics")).timeout(Duration.ofSeconds(10)).GET()
        .build(), HttpResponse.BodyHandlers.ofString());
    if (resp.statusCode() != 200) {
      throw new CliException("expected HTTP 200 from replica " + r.index() + "'s metrics, found "
          + resp.statusCode());
    }
    return predictCount(resp.body());
  }
}
