package dev.ccserve.it;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts ccserve commands as real child processes (and in-process via Main) for end-to-end tests. */
public final class ProcessSupport implements AutoCloseable {
  /** A finished command's exit code and output. */
  public record Result(int exitCode, String out, String err) {}

  private final List<Process> processes = new ArrayList<>();

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Runs {@code ccserve args…} in this JVM, as the CLI would. */
  public static Result cli(String... args) {
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    int rc = new dev.ccserve.cli.Main(new PrintWriter(o, true), new PrintWriter(e, true)).run(args);
    return new Result(rc, o.toString(), e.toString());
  }

  /** Starts {@code ccserve args…} as a child process with this JVM's class path. */
  public Process start(Path log, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("dev.ccserve.cli.Main");
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  /** Runs an external program to completion (curl, openssl) with a timeout. */
  public static Result exec(Path workDir, String stdin, String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    var out = p.getInputStream().readAllBytes();
    var err = p.getErrorStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("timed out: " + String.join(" ", cmd));
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
        new String(err, StandardCharsets.UTF_8));
  }

  public static boolean onPath(String program) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }

  /** Waits until the log contains {@code text} or the process dies. */
  public static void awaitLog(Process p, Path log, String text, long timeoutSeconds)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (System.nanoTime() < deadline) {
      String s = Files.exists(log) ? Files.readString(log) : "";
      if (s.contains(text)) {
        return;
      }
      if (!p.isAlive()) {
        throw new IllegalStateException("process exited with " + p.exitValue() + " before '"
            + text + "'; log:\n" + tail(s));
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("no '" + text + "' after " + timeoutSeconds + " s; log:\n"
        + tail(Files.exists(log) ? Files.readString(log) : ""));
  }

  static String tail(String s) {
    return s.length() <= 4000 ? s : s.substring(s.length() - 4000);
  }

  @Override
  public void close() throws InterruptedException {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }
}
