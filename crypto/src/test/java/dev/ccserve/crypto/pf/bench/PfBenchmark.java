package dev.ccserve.crypto.pf.bench;

import dev.ccserve.crypto.key.WrapKey;
import dev.ccserve.crypto.pf.GraminePfReader;
import dev.ccserve.crypto.pf.GraminePfWriter;
import dev.ccserve.crypto.pf.PathBinding;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * JMH-free timing harness for protected-file throughput: encrypts an in-memory plaintext of
 * {@code --size-mb} MB (10^6 bytes) to a file and decrypts it with {@code readFully()}, {@code
 * --runs} times after one warm-up, and prints the medians plus one JSON line
 * ({@code {"bench":"pf",...,"decrypt_mb_s":…}}). MB/s are plaintext megabytes (10^6) per second,
 * including file I/O (page cache). Wall-clock figures suffer on a shared machine, so the
 * working thread's CPU time is reported too ({@code *_cpu_mb_s}) with the load average. Run via
 * {@code bench/pf/run.sh}.
 */
public final class PfBenchmark {
  private PfBenchmark() {}

  public static void main(String[] args) throws IOException {
    int sizeMb = 100;
    int runs = 5;
    Path dir = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--size-mb" -> sizeMb = Integer.parseInt(args[++i]);
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--dir" -> dir = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + "; usage: PfBenchmark [--size-mb N] [--runs N] [--dir DIR]");
      }
    }
    Path work = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("pfbench");
    Path file = work.resolve("bench.pf");
    byte[] plain = new byte[sizeMb * 1_000_000];
    new Random(1).nextBytes(plain);
    WrapKey key = WrapKey.generate(new SecureRandom());
    GraminePfWriter writer = new GraminePfWriter(key, new SecureRandom());
    double[] enc = new double[runs];
    double[] dec = new double[runs];
    double[] encCpu = new double[runs];
    double[] decCpu = new double[runs];
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    try {
      for (int i = -1; i < runs; i++) { // i = -1: warm-up
        long c0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        writer.encrypt(new ByteArrayInputStream(plain), file, "bench.pf");
        long t1 = System.nanoTime();
        long c1 = threads.getCurrentThreadCpuTime();
        byte[] back = GraminePfReader.decrypt(file, key, PathBinding.exact("bench.pf"));
        long t2 = System.nanoTime();
        long c2 = threads.getCurrentThreadCpuTime();
        if (!Arrays.equals(back, plain)) {
          throw new IllegalStateException("round trip mismatch");
        }
        back = null;
        if (i >= 0) {
          enc[i] = mbPerSecond(plain.length, t1 - t0);
          dec[i] = mbPerSecond(plain.length, t2 - t1);
          encCpu[i] = mbPerSecond(plain.length, c1 - c0);
          decCpu[i] = mbPerSecond(plain.length, c2 - c1);
        }
      }
    } finally {
      Files.deleteIfExists(file);
      if (dir == null) {
        Files.deleteIfExists(work);
      }
    }
    double encMedian = median(enc);
    double decMedian = median(dec);
    System.out.printf(Locale.ROOT, "pf %d MB, %d runs: encrypt %.1f MB/s, decrypt %.1f MB/s "
        + "(wall-clock medians; all encrypt %s, decrypt %s); per CPU-second of the working "
        + "thread: encrypt %.1f, decrypt %.1f MB/s; load average %.1f on %d CPUs%n", sizeMb, runs,
        encMedian, decMedian, fmt(enc), fmt(dec), median(encCpu), median(decCpu),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        Runtime.getRuntime().availableProcessors());
    System.out.printf(Locale.ROOT, "{\"bench\":\"pf\",\"size_mb\":%d,\"runs\":%d,"
        + "\"encrypt_mb_s\":%.1f,\"decrypt_mb_s\":%.1f,\"encrypt_cpu_mb_s\":%.1f,"
        + "\"decrypt_cpu_mb_s\":%.1f,\"load_avg\":%.1f,\"java\":\"%s\"}%n", sizeMb, runs,
        encMedian, decMedian, median(encCpu), median(decCpu),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        System.getProperty("java.version"));
  }

  private static double mbPerSecond(long bytes, long nanos) {
    return bytes / 1e6 / (nanos / 1e9);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static String fmt(double[] v) {
    StringBuilder b = new StringBuilder("[");
    for (double d : v) {
      b.append(b.length() > 1 ? ", " : "").append(String.format(Locale.ROOT, "%.0f", d));
    }
    return b.append(']').toString();
  }
}
