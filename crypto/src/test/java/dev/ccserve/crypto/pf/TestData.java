package dev.ccserve.crypto.pf;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ccserve.crypto.key.WrapKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Locates {@code shared/testdata/pf} (system property {@code ccserve.testdata} or walking up). */
final class TestData {
  static final String[] VECTOR_NAMES = {
    "empty.bin", "small100.bin", "exact3072.bin", "p3073.bin", "p7168.bin", "p40000.bin"
  };

  private TestData() {}

  /** The {@code pf} vector directory; skips the test when the test data is absent. */
  static Path pfDir() {
    String prop = System.getProperty("ccserve.testdata");
    Path found = null;
    if (prop != null) {
      found = Path.of(prop).resolve("pf");
    } else {
      for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
        Path candidate = dir.resolveSibling("shared").resolve("testdata").resolve("pf");
        if (Files.isDirectory(candidate)) {
          found = candidate;
          break;
        }
      }
    }
    assumeTrue(found != null && Files.isDirectory(found),
        "Gramine PF vectors not found: set -Dccserve.testdata=<dir> or place shared/testdata "
            + "next to the repository; skipping");
    return found;
  }

  static WrapKey wrapKey() throws IOException {
    return WrapKey.readFrom(pfDir().resolve("wrap_key.bin"));
  }

  static Path enc(String name) {
    return pfDir().resolve("enc").resolve(name);
  }

  static byte[] plain(String name) throws IOException {
    return Files.readAllBytes(pfDir().resolve("plain").resolve(name));
  }
}
