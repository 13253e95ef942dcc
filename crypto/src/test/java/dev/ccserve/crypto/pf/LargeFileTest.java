package dev.ccserve.crypto.pf;

import static dev.ccserve.crypto.pf.PfTestSupport.KEY;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 100 MB+ round trip; excluded from the default run (surefire excludedGroups "large"). Run with
 * {@code ./mvnw -o -q -pl crypto test -Dtest=LargeFileTest -Dsurefire.excludedGroups=none}.
 */
@Tag("large")
class LargeFileTest {
  private static final int SIZE = 120_000_000 + 1234;

  @TempDir Path tmp;

  @Test
  void roundTrip_120MB_decryptsInHeapOfOneAndAHalfPlaintexts()
      throws IOException, NoSuchAlgorithmException, InterruptedException {
    MessageDigest in = MessageDigest.getInstance("SHA-256");
    Path f = tmp.resolve("big.pf");
    try (InputStream src = new GeneratedStream(SIZE, in)) {
      new GraminePfWriter(KEY, PfTestSupport.RANDOM).encrypt(src, f, "big.pf");
    }
    byte[] expectedDigest = in.digest();
    assertThat(Files.size(f)).isEqualTo(4096 * PfTestSupport.nodesFor(SIZE));

    // decrypt in a child JVM whose heap holds the plaintext 1.5 times: 2x or 3x would not fit
    long heapMb = (SIZE * 3L / 2 + 32L * 1024 * 1024) / (1024 * 1024);
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + heapMb + "m", "-cp", System.getProperty("java.class.path"),
        DecryptToDigest.class.getName(), f.toString(), "big.pf")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor()).as("child output: %s", out).isZero();
    assertThat(out).isEqualTo(SIZE + " " + HexFormat.of().formatHex(expectedDigest));
  }

  /** Child-process entry point: decrypts with readFully() and prints size and SHA-256. */
  public static final class DecryptToDigest {
    private DecryptToDigest() {}

    public static void main(String[] args) throws Exception {
      byte[] plain = GraminePfReader.decrypt(Path.of(args[0]), KEY, PathBinding.exact(args[1]));
      System.out.println(plain.length + " "
          + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(plain)));
    }
  }

  /** Pseudo-random bytes generated on the fly, hashed as they are handed out. */
  private static final class GeneratedStream extends InputStream {
    private final Random random = new Random(42);
    private final MessageDigest digest;
    private long left;

    GeneratedStream(long size, MessageDigest digest) {
      this.left = size;
      this.digest = digest;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left == 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      byte[] chunk = new byte[n];
      random.nextBytes(chunk);
      System.arraycopy(chunk, 0, b, off, n);
      digest.update(chunk);
      left -= n;
      return n;
    }
  }
}
