package dev.ccserve.keybroker;

import dev.ccserve.attestation.ratls.RaTlsKeyManager;
import dev.ccserve.attestation.simulated.SimulatedEvidenceProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Locale;

/**
 * Benchmark (run by {@code bench/keybroker/run.sh}, not by surefire): N sequential provisionings
 * against a broker on loopback with the simulated TEE. "key_release" is one full {@code
 * KeyBrokerClient.provision()}: Challenge on a fresh TLS connection, a new P-256 key and RA-TLS
 * certificate (two simulated quotes), mutual TLS, evidence verification with DCAP collateral,
 * policy, GetSecrets and SignServingCertificate. "secret_prov" is one Gramine-style exchange
 * (P-384 RA-TLS certificate creation as Gramine, TLS, 35-byte request, 41+16-byte answer). Prints
 * one JSON line.
 */
public final class KeyBrokerBenchmark {
  private KeyBrokerBenchmark() {}

  public static void main(String[] args) throws Exception {
    int n = 200;
    int warmup = 20;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--n" -> n = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Clock clock = Clock.systemUTC();
    Path dir = Files.createTempDirectory("kb-bench");
    SimulatedPlatform platform = new SimulatedPlatform(dir.resolve("sim"), clock);
    SimulatedEvidenceProvider provider = platform.provider(dir, "bench");
    String mr = SimulatedPlatform.measurement(dir, "bench").hex();
    Files.createDirectories(dir.resolve("broker"));
    try (TestBroker tb = new TestBroker(dir.resolve("broker"))) {
      tb.writePolicy(TestBroker.policy(mr, true, true)).start(platform.verifier(clock), clock);
      var client = tb.client(provider);
      double[] release = new double[n];
      double[] secretProv = new double[n];
      for (int i = 0; i < warmup; i++) {
        client.provision();
        SecretProvisionTest.gramineClient(tb, RaTlsKeyManager.create(provider, clock, null));
      }
      for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        client.provision();
        long t1 = System.nanoTime();
        byte[] s = SecretProvisionTest.gramineClient(tb, RaTlsKeyManager.create(provider, clock, null));
        long t2 = System.nanoTime();
        if (s == null || s.length != 16) {
          throw new IllegalStateException("secret_prov exchange failed");
        }
        release[i] = (t1 - t0) / 1e6;
        secretProv[i] = (t2 - t1) / 1e6;
      }
      Arrays.sort(release);
      Arrays.sort(secretProv);
      System.out.println(String.format(Locale.ROOT,
          "{\"bench\":\"keybroker\",\"n\":%d,\"warmup\":%d,\"tee\":\"simulated\",\"transport\":\"loopback\","
              + "\"key_release_p50_ms\":%.2f,\"key_release_p90_ms\":%.2f,\"key_release_p99_ms\":%.2f,"
              + "\"secret_prov_p50_ms\":%.2f,\"secret_prov_p90_ms\":%.2f,\"secret_prov_p99_ms\":%.2f,"
              + "\"cpus\":%d,\"load_avg_1m_at_end\":%s}",
          n, warmup, pct(release, 50), pct(release, 90), pct(release, 99), pct(secretProv, 50),
          pct(secretProv, 90), pct(secretProv, 99), Runtime.getRuntime().availableProcessors(), loadAverage()));
    }
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (java.io.IOException | RuntimeException e) {
      return "null";
    }
  }

  private static double pct(double[] sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
