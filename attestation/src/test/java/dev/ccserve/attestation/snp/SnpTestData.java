package dev.ccserve.attestation.snp;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Locates {@code shared/testdata} (system property {@code ccserve.testdata}, else walking up from
 * the working directory to a directory with a {@code shared/testdata} child) and skips the calling
 * test with a clear message when it is absent.
 */
public final class SnpTestData {
  private SnpTestData() {}

  /** The testdata root, or a skipped test. */
  public static Path root() {
    String prop = System.getProperty("ccserve.testdata");
    if (prop != null && Files.isDirectory(Paths.get(prop))) {
      return Paths.get(prop);
    }
    for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path candidate = p.resolve("shared").resolve("testdata");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    assumeTrue(false, "shared/testdata not found (set -Dccserve.testdata=<dir>); skipping");
    throw new AssertionError("unreachable");
  }

  /** Reads {@code snp/<name>} from the testdata root (skipping the test when absent). */
  public static byte[] snp(String name) {
    Path p = root().resolve("snp").resolve(name);
    assumeTrue(Files.isRegularFile(p), "testdata file " + p + " missing; skipping");
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Path of {@code snp/<name>}. */
  public static Path snpPath(String name) {
    return root().resolve("snp").resolve(name);
  }
}
