package dev.ccserve.it.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the repository's {@code deploy/} tree from the test's working directory (the module
 * directory under Maven, the repository root in an IDE), or from system property
 * {@code ccserve.repo}. Stateless; safe from any thread.
 */
final class DeployFiles {

  private DeployFiles() {}

  /** The repository root: the nearest ancestor that holds both {@code deploy/} and {@code mvnw}. */
  static Path repoRoot() {
    String override = System.getProperty("ccserve.repo");
    if (override != null) {
      return Path.of(override).toAbsolutePath().normalize();
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("deploy")) && Files.isRegularFile(p.resolve("mvnw"))) {
        return p;
      }
    }
    throw new IllegalStateException("expected a repository root (a directory with deploy/ and mvnw)"
        + " above " + Path.of("").toAbsolutePath() + "; found none (set -Dccserve.repo=DIR)");
  }

  static Path deploy(String relative) {
    return repoRoot().resolve("deploy").resolve(relative);
  }
}
