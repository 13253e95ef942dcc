package dev.ccserve.it.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external tool to completion with a timeout and captures its combined output. A
 * process that outlives the timeout is destroyed (by its own handle, never by name). Stateless.
 */
final class ExternalProcess {

  /** Exit code and combined stdout+stderr of one finished run. */
  record Result(List<String> command, int exitCode, String output) {
    Result {
      command = List.copyOf(command);
    }

    String describe() {
      String shown = output.length() > 4000 ? output.substring(0, 4000) + "…" : output;
      return String.join(" ", command) + " exited " + exitCode + ":\n" + shown;
    }
  }

  private ExternalProcess() {}

  static Result run(List<String> command, Duration timeout) throws IOException, InterruptedException {
    return run(command, timeout, Map.of());
  }

  static Result run(List<String> command, Duration timeout, Map<String, String> env)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("ccserve-deploy-proc", ".log");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(out.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        throw new IOException("expected " + command.get(0) + " to finish within " + timeout
            + "; it was still running and was killed");
      }
      return new Result(command, p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /** The absolute path of {@code name} on PATH (or in the sbin directories), or null. */
  static Path which(String name) {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/local/sbin";
    for (String dir : path.split(":")) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }
}
