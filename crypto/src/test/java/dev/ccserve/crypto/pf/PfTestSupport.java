package dev.ccserve.crypto.pf;

import dev.ccserve.crypto.key.WrapKey;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Random;

/** Shared helpers: deterministic plaintexts and a writer with a fixed test key. */
final class PfTestSupport {
  static final WrapKey KEY = WrapKey.fromCleartextBytes(new byte[] {
    9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 12, 13, 14, 15, 16});
  static final SecureRandom RANDOM = new SecureRandom();

  private PfTestSupport() {}

  static byte[] plaintext(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  static Path encrypt(byte[] plain, Path out, String boundPath) throws IOException {
    new GraminePfWriter(KEY, RANDOM).encrypt(new ByteArrayInputStream(plain), out, boundPath);
    return out;
  }

  static byte[] decrypt(Path file, String boundPath) throws IOException {
    return GraminePfReader.decrypt(file, KEY, PathBinding.exact(boundPath));
  }

  /** Fast byte comparison for large arrays (AssertJ compares arrays element by element, boxed). */
  static void assertSameBytes(byte[] actual, byte[] expected) {
    int mismatch = java.util.Arrays.mismatch(actual, expected);
    if (mismatch >= 0) {
      throw new AssertionError("byte arrays differ at index " + mismatch + " (lengths "
          + actual.length + ", " + expected.length + ")");
    }
  }

  static long nodesFor(long size) {
    if (size <= 3072) {
      return 1;
    }
    long d = (size - 3072 + 4095) / 4096;
    return 1 + d + (d + 95) / 96;
  }

  static Path withBytes(Path dir, String name, byte[] content) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, content);
    return p;
  }
}
