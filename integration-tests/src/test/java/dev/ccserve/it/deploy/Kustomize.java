package dev.ccserve.it.deploy;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Renders a kustomization offline with {@code kubectl kustomize} (built into kubectl; needs no
 * cluster). Skips the calling test when kubectl is not installed. Stateless.
 */
final class Kustomize {

  private Kustomize() {}

  static String render(Path dir) throws Exception {
    Path kubectl = ExternalProcess.which("kubectl");
    assumeTrue(kubectl != null, "SKIPPED: kubectl is not on PATH; `kubectl kustomize` renders the"
        + " overlays offline (install kubectl >= 1.27, no cluster needed)");
    // Only stdout is the rendering; ExternalProcess merges streams, so ask for a file instead.
    Path out = java.nio.file.Files.createTempFile("ccserve-kustomize", ".yaml");
    try {
      ExternalProcess.Result r = ExternalProcess.run(List.of(kubectl.toString(), "kustomize",
          dir.toString(), "--output", out.toString()), Duration.ofSeconds(60));
      if (r.exitCode() != 0) {
        throw new AssertionError("expected `kubectl kustomize " + dir + "` to succeed; " + r.describe());
      }
      return java.nio.file.Files.readString(out);
    } finally {
      java.nio.file.Files.deleteIfExists(out);
    }
  }
}
