package dev.ccserve.it.deploy;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds nginx with the dynamic stream module (Debian: packages nginx + libnginx-mod-stream),
 * installing them with apt-get when missing and running as root, otherwise skipping the calling
 * test with a message that says what to install. Also renders configs with
 * {@code deploy/nginx/render.sh} and picks free loopback ports. Stateless.
 */
final class NginxSupport {

  static final Path STREAM_MODULE = Path.of("/usr/lib/nginx/modules/ngx_stream_module.so");

  private NginxSupport() {}

  /** The nginx binary; skips the test (JUnit assumption) if it cannot be had. */
  static Path requireNginx() throws IOException, InterruptedException {
    Path nginx = ExternalProcess.which("nginx");
    if (nginx != null && Files.exists(STREAM_MODULE)) {
      return nginx;
    }
    boolean root = "root".equals(System.getProperty("user.name"));
    assumeTrue(root && ExternalProcess.which("apt-get") != null,
        "SKIPPED: nginx with the stream module is not installed (expected " + STREAM_MODULE
            + ") and this is not root with apt-get: install packages nginx libnginx-mod-stream");
    ExternalProcess.Result r = ExternalProcess.run(List.of("apt-get", "install", "-y", "-q",
        "nginx", "libnginx-mod-stream"), Duration.ofMinutes(5));
    if (r.exitCode() != 0) {
      ExternalProcess.run(List.of("apt-get", "update", "-q"), Duration.ofMinutes(5));
      r = ExternalProcess.run(List.of("apt-get", "install", "-y", "-q", "nginx",
          "libnginx-mod-stream"), Duration.ofMinutes(5));
    }
    nginx = ExternalProcess.which("nginx");
    assumeTrue(r.exitCode() == 0 && nginx != null && Files.exists(STREAM_MODULE),
        "SKIPPED: could not install nginx libnginx-mod-stream with apt-get: " + r.describe());
    return nginx;
  }

  /** Runs render.sh with the given options; returns the rendered nginx.conf. */
  static Path render(Path prefix, String... options) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("bash");
    cmd.add(DeployFiles.deploy("nginx/render.sh").toString());
    cmd.add("--prefix");
    cmd.add(prefix.toString());
    cmd.addAll(List.of(options));
    ExternalProcess.Result r = ExternalProcess.run(cmd, Duration.ofSeconds(30));
    if (r.exitCode() != 0) {
      throw new AssertionError("expected render.sh to succeed; " + r.describe());
    }
    Path conf = prefix.resolve("nginx.conf");
    if (!Files.isRegularFile(conf)) {
      throw new AssertionError("expected render.sh to write " + conf + "; it did not");
    }
    return conf;
  }

  /** The command line that runs nginx fully under {@code prefix} with extra arguments. */
  static List<String> nginxCommand(Path nginx, Path prefix, String... extra) {
    List<String> cmd = new ArrayList<>(List.of(nginx.toString(), "-c",
        prefix.resolve("nginx.conf").toString(), "-p", prefix + "/", "-e",
        prefix.resolve("logs/error.log").toString()));
    cmd.addAll(List.of(extra));
    return cmd;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Waits until something accepts TCP connections on 127.0.0.1:port. */
  static void awaitListening(int port, Duration timeout, Process owner) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (owner != null && !owner.isAlive()) {
        throw new AssertionError("expected nginx to keep running; it exited with " + owner.exitValue());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        Thread.sleep(50);
      }
    }
    throw new AssertionError("expected a listener on 127.0.0.1:" + port + " within " + timeout);
  }
}
