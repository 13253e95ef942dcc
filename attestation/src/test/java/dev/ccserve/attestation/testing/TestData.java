package dev.ccserve.attestation.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Locates {@code /work/shared/testdata}: system property {@code ccserve.testdata}, else a {@code
 * shared/testdata} directory next to the repository (walking up from the working directory).
 * Tests that need it are skipped with a message when it is absent.
 */
public final class TestData {
  private TestData() {}

  public static Path dir() {
    String prop = System.getProperty("ccserve.testdata");
    if (prop != null && Files.isDirectory(Paths.get(prop))) {
      return Paths.get(prop);
    }
    Path p = Paths.get("").toAbsolutePath();
    while (p != null) {
      Path candidate = p.resolveSibling("shared").resolve("testdata");
      if (p.getParent() != null && Files.isDirectory(candidate)) {
        return candidate;
      }
      p = p.getParent();
    }
    return null;
  }

  /** The path of a test data file; skips the test when the test data is absent. */
  public static Path path(String relative) {
    Path d = dir();
    assumeTrue(d != null, "shared/testdata not found (set -Dccserve.testdata=...); skipping");
    Path f = d.resolve(relative);
    assumeTrue(Files.exists(f), "test data file " + relative + " absent; skipping");
    return f;
  }

  public static byte[] bytes(String relative) {
    try {
      return Files.readAllBytes(path(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String text(String relative) {
    try {
      return Files.readString(path(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
