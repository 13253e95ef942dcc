package dev.ccserve.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Output format and figures with a fake connection and a fake clock (no network). */
class LoadGeneratorTest {
  static final Pattern QUERY = Pattern.compile(
      "^query: (secure|insecure) channel, task (\\d+), batch (\\d+), loop_idx (\\d+), latency\\(ms\\) (\\d+\\.\\d), tps: (\\d+\\.\\d)$");
  static final Pattern QUERY_INFINITE = Pattern.compile(
      "^query: (secure|insecure) channel, task (\\d+), batch (\\d+), latency\\(ms\\) (\\d+\\.\\d), tps: (\\d+\\.\\d)$");
  static final Pattern SUMMARY = Pattern.compile(
      "^summary: cnum (\\d+), batch (\\d+), e2e time\\(s\\) ([0-9.e+-]+), average latency\\(ms\\) ([0-9.e+-]+), tps: ([0-9.e+-]+)$");

  private final AtomicLong fakeNanos = new AtomicLong(1_000_000_000L);
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  /** Connection whose k-th send (over all connections) takes latenciesMs[k % n] and may fail. */
  private PredictConnection.Factory fake(long[] latenciesMs, int failEvery) {
    AtomicInteger calls = new AtomicInteger();
    return task -> new PredictConnection() {
      @Override
      public Object send() {
        int k = calls.getAndIncrement();
        fakeNanos.addAndGet(latenciesMs[k % latenciesMs.length] * 1_000_000L);
        if (failEvery > 0 && (k + 1) % failEvery == 0) {
          throw new PredictException("UNAVAILABLE", "UNAVAILABLE: fake outage", null);
        }
        var root = new ObjectMapper().createObjectNode();
        root.putArray("outputs").addArray().add(0.5).add(0.25);
        return root;
      }

      @Override
      public void close() {}
    };
  }

  private LoadGenerator generator(LoadOptions o, PredictConnection.Factory f) {
    return new LoadGenerator(o, f, new PrintWriter(out, true), new PrintWriter(err, true), fakeNanos::get);
  }

  private static LoadOptions opts(int cnum, int batch, int loop) {
    return LoadOptions.defaults(Target.parse("localhost:8500")).withLoad(cnum, batch, loop);
  }

  @Test
  void run_finiteLoop_printsSeedLinesForWarmupAndMeasuredPass() {
    LoadReport r = generator(opts(1, 2, 4), fake(new long[] {50, 40}, 0)).run();
    List<String> lines = out.toString().lines().toList();
    List<Matcher> queries = lines.stream().map(QUERY::matcher).filter(Matcher::matches).toList();
    assertThat(queries).hasSize(5 + 4);
    Matcher q0 = queries.get(0);
    assertThat(q0.group(1)).isEqualTo("insecure");
    assertThat(q0.group(4)).isEqualTo("0");
    assertThat(q0.group(5)).isEqualTo("50.0");
    assertThat(q0.group(6)).isEqualTo("40.0"); // batch 2 / 0.05 s
    assertThat(queries.get(5).group(4)).isEqualTo("0"); // measured pass restarts loop_idx
    assertThat(lines).contains("query: insecure channel, task 0, batch 2, loop_idx 3, latency(ms) 40.0, tps: 50.0");
    List<Matcher> summaries = lines.stream().map(SUMMARY::matcher).filter(Matcher::matches).toList();
    assertThat(summaries).hasSize(2);
    Matcher s = summaries.get(1);
    assertThat(s.group(1)).isEqualTo("1");
    assertThat(s.group(2)).isEqualTo("2");
    assertThat(Double.parseDouble(s.group(3))).isEqualTo(0.18);            // 50+40+50+40 ms
    assertThat(Double.parseDouble(s.group(4))).isEqualTo(45.0);
    assertThat(Double.parseDouble(s.group(5))).isCloseTo(8 / 0.18, within(1e-9));
    assertThat(s.group(0)).contains("e2e time(s) 0.18,").contains("average latency(ms) 45.0,");
    assertThat(lines).contains("{'outputs': [[0.5, 0.25]]}");
    assertThat(r.succeeded()).isEqualTo(4);
    assertThat(r.pass()).isEqualTo("measured");
  }

  @Test
  void run_histogram_percentilesAndExactMax() {
    long[] lat = new long[100];
    for (int i = 0; i < 100; i++) {
      lat[i] = i + 1;
    }
    LoadOptions o = opts(1, 1, 100).withOutput(true, false, false);
    LoadReport r = generator(o, fake(lat, 0)).run();
    assertThat(r.p50Ms()).isCloseTo(50, within(0.1));
    assertThat(r.p90Ms()).isCloseTo(90, within(0.1));
    assertThat(r.p99Ms()).isCloseTo(99, within(0.1));
    assertThat(r.maxMs()).isEqualTo(100.0);
    assertThat(r.meanLatencyMs()).isCloseTo(50.5, within(1e-9));
    assertThat(out.toString()).contains("latency(ms): p50 50.0, p90 90.0, p99 99.0, max 100.0")
        .doesNotContain("query:");
    assertThat(err.toString()).contains("100/100");
  }

  @Test
  void run_failures_countedByCodeAndPrinted() {
    LoadReport r = generator(opts(1, 1, 6).withOutput(false, false, false), fake(new long[] {10}, 3)).run();
    assertThat(r.errorsByCode()).containsEntry("UNAVAILABLE", 2L);
    assertThat(r.succeeded()).isEqualTo(4);
    assertThat(out.toString()).contains("Error response: UNAVAILABLE: fake outage")
        .contains("errors: 2 (UNAVAILABLE 2)");
    assertThat(r.tps()).isCloseTo(4 / 0.06, within(1e-9));
  }

  @Test
  void run_allFail_explainsOnStderr() {
    LoadReport r = generator(opts(2, 1, 2).withOutput(false, false, false), fake(new long[] {1}, 1)).run();
    assertThat(r.succeeded()).isZero();
    assertThat(err.toString()).contains("all 4 requests of the measured pass failed; first error: UNAVAILABLE: fake outage");
  }

  @Test
  void run_infiniteWithDuration_omitsLoopIdxAndStops() {
    LoadOptions o = opts(1, 1, 0).withLimits(Duration.ofMillis(95), null);
    LoadReport r = generator(o, fake(new long[] {10}, 0)).run();
    assertThat(r.attempted()).isEqualTo(10); // 0,10,...,90 ms start times are before 95 ms
    assertThat(out.toString().lines().filter(l -> QUERY_INFINITE.matcher(l).matches())).hasSize(10);
    assertThat(out.toString()).doesNotContain("loop_idx");
  }

  @Test
  void run_severalConnections_eachGetsTaskIndex() {
    generator(opts(3, 1, 2).withOutput(false, false, false), fake(new long[] {5}, 0)).run();
    assertThat(out.toString().lines().map(QUERY::matcher).filter(Matcher::matches).map(m -> m.group(2)).distinct())
        .containsExactlyInAnyOrder("0", "1", "2");
  }

  @Test
  void writeJson_report_hasFigures(@TempDir Path tmp) throws Exception {
    LoadReport r = generator(opts(1, 1, 3).withOutput(true, false, false), fake(new long[] {20}, 0)).run();
    Path f = tmp.resolve("report.json");
    r.writeJson(f);
    JsonNode j = new ObjectMapper().readTree(f.toFile());
    assertThat(j.get("requests").asLong()).isEqualTo(3);
    assertThat(j.get("transport").asText()).isEqualTo("grpc");
    assertThat(j.get("latency_ms").get("max").asDouble()).isEqualTo(20.0);
    assertThat(j.get("latency_ms").get("p50").asDouble()).isCloseTo(20.0, within(0.05));
    assertThat(j.get("e2e_time_s").asDouble()).isCloseTo(0.06, within(1e-9));
  }

  /**
   * Connections of which the first one opened fails with {@code code} on its {@code failAt}-th send
   * (1-based) and on every later send, like a channel to a replica that died; later connections
   * work. Counts opened and closed connections.
   */
  private PredictConnection.Factory dyingFirstConnection(String code, int failAt, AtomicInteger opened,
      AtomicInteger closed) {
    return task -> {
      boolean dies = opened.getAndIncrement() == 0;
      AtomicInteger sends = new AtomicInteger();
      return new PredictConnection() {
        @Override
        public Object send() {
          fakeNanos.addAndGet(10_000_000L);
          if (dies && sends.incrementAndGet() >= failAt) {
            throw new PredictException(code, code + ": replica gone", null);
          }
          return new ObjectMapper().createObjectNode().put("ok", true);
        }

        @Override
        public void close() {
          closed.incrementAndGet();
        }
      };
    };
  }

  @Test
  void run_unavailableWithRetries_resentOnFreshConnectionAndNotLost() {
    AtomicInteger opened = new AtomicInteger();
    AtomicInteger closed = new AtomicInteger();
    LoadOptions o = opts(1, 1, 6).withOutput(false, false, false).withRetries(2);
    LoadReport r = generator(o, dyingFirstConnection("UNAVAILABLE", 3, opened, closed)).run();
    assertThat(r.attempted()).isEqualTo(6);
    assertThat(r.succeeded()).isEqualTo(6);
    assertThat(r.errors()).isZero();
    assertThat(r.retries()).isEqualTo(1);
    assertThat(opened.get()).isEqualTo(2);
    assertThat(closed.get()).isEqualTo(2); // the broken one at once, the fresh one at the end
    assertThat(out.toString()).contains("Retrying (1/2) on a new connection after: UNAVAILABLE: replica gone")
        .contains("errors: 0").contains("retries: 1");
    assertThat(out.toString().lines().map(QUERY::matcher).filter(Matcher::matches)).hasSize(6);
    assertThat(r.toMap()).containsEntry("retries", 1L);
  }

  @Test
  void run_unavailableWithoutRetries_countedAsErrorsAsTheSeed() {
    AtomicInteger opened = new AtomicInteger();
    LoadOptions o = opts(1, 1, 6).withOutput(false, false, false);
    LoadReport r = generator(o, dyingFirstConnection("UNAVAILABLE", 3, opened, new AtomicInteger())).run();
    assertThat(r.errors()).isEqualTo(4);
    assertThat(r.retries()).isZero();
    assertThat(opened.get()).isEqualTo(1);
    assertThat(out.toString()).doesNotContain("Retrying").doesNotContain("retries:");
  }

  @Test
  void run_otherCodeWithRetries_notRetried() {
    AtomicInteger opened = new AtomicInteger();
    LoadOptions o = opts(1, 1, 4).withOutput(false, false, false).withRetries(3);
    LoadReport r = generator(o, dyingFirstConnection("INVALID_ARGUMENT", 4, opened, new AtomicInteger())).run();
    assertThat(r.errors()).isEqualTo(1);
    assertThat(r.errorsByCode()).containsEntry("INVALID_ARGUMENT", 1L);
    assertThat(r.retries()).isZero();
    assertThat(opened.get()).isEqualTo(1);
  }

  @Test
  void run_retriesExhausted_countedAsOneErrorPerRequest() {
    LoadOptions o = opts(1, 1, 3).withOutput(false, false, false).withRetries(2);
    LoadReport r = generator(o, fake(new long[] {5}, 1)).run(); // every send fails
    assertThat(r.attempted()).isEqualTo(3);
    assertThat(r.errors()).isEqualTo(3);
    assertThat(r.errorsByCode()).containsEntry("UNAVAILABLE", 3L);
    assertThat(r.retries()).isEqualTo(6);
  }

  @Test
  void options_negativeRetries_rejected() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> opts(1, 1, 1).withRetries(-1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected retries >= 0, found -1");
  }
}
