package dev.ccserve.client;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * The seed client's load loop ({@code resnet_client_grpc.py}): {@code cnum} connections, each on
 * its own thread with its own channel (TCP + TLS), each sending its prepared Predict request
 * {@code loop} times in a closed loop (0 = until the duration ends or {@link #stop()}), after a
 * 5-request warm-up pass when {@code loop != 0}. Both passes print the seed's lines to {@code out}:
 *
 * <pre>
 * query: secure channel, task 0, batch 1, loop_idx 3, latency(ms) 57.2, tps: 17.5
 * {'outputs': {'predict': {...}}, 'modelSpec': {...}}          (first response of connection 0)
 * summary: cnum 1, batch 1, e2e time(s) 3.21..., average latency(ms) 57.1..., tps: 15.5...
 * </pre>
 *
 * followed by ccserve's additions ({@code latency(ms): p50 …, p90 …, p99 …, max …} and
 * {@code errors: N (CODE n, …)}). With {@code quiet} the per-request lines are replaced by a
 * progress bar on {@code err}. Failed requests print {@code Error response: CODE: message} (as the
 * seed does in its infinite mode) and are counted by status code. With
 * {@link LoadOptions#retries()} {@code > 0}, a request that fails with {@code UNAVAILABLE} (e.g.
 * the replica behind a load balancer died) is re-sent on a fresh connection, printing
 * {@code Retrying (i/n) on a new connection after: CODE: message}; its latency includes the retries,
 * and a summary line {@code retries: N} follows. One instance runs once;
 * {@link #stop()} may be called from any thread.
 */
public final class LoadGenerator {
  private final LoadOptions options;
  private final PredictConnection.Factory factory;
  private final PrintWriter out;
  private final PrintWriter err;
  private final LongSupplier nanoTime;
  private volatile boolean stopped;
  private volatile Object lastFirstResponse;

  /** Uses real gRPC or REST connections; TLS files are read and validated now. */
  public LoadGenerator(LoadOptions options, PrintWriter out, PrintWriter err, Clock clock) {
    this(options, Connections.factory(options, options.tls().toClientTls(clock).orElse(null)), out, err,
        System::nanoTime);
  }

  LoadGenerator(LoadOptions options, PredictConnection.Factory factory, PrintWriter out, PrintWriter err,
      LongSupplier nanoTime) {
    this.options = options;
    this.factory = factory;
    this.out = out;
    this.err = err;
    this.nanoTime = nanoTime;
  }

  /** Runs the warm-up pass (if any) and the measured pass; returns the measured pass's report. */
  public LoadReport run() {
    if (options.warmup() && options.loop() != 0) {
      runPass("warmup", LoadOptions.WARMUP_LOOP, null);
    }
    LoadReport r = runPass("measured", options.loop(), options.duration());
    Object first = lastFirstResponse;
    if (options.image() != null && first != null) {
      printTop5(first);
    }
    return r;
  }

  /** Asks all connections to stop after their current request. */
  public void stop() {
    stopped = true;
  }

  private LoadReport runPass(String pass, int loop, java.time.Duration duration) {
    int cnum = options.cnum();
    Worker[] workers = new Worker[cnum];
    AtomicLong done = new AtomicLong();
    long start = nanoTime.getAsLong();
    long endAt = duration == null ? Long.MAX_VALUE : start + duration.toNanos();
    Progress progress = options.quiet() ? new Progress(err, loop == 0 ? 0 : (long) cnum * loop, done) : null;
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < cnum; i++) {
      workers[i] = new Worker(i, loop, endAt, done);
      Thread t = new Thread(workers[i], "ccserve-load-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        stopped = true;
        Thread.currentThread().interrupt();
      }
    }
    double seconds = (nanoTime.getAsLong() - start) / 1e9;
    if (progress != null) {
      progress.finish();
    }
    LoadReport report = summarize(pass, loop, workers, seconds);
    print(report, workers[0].firstResponse, loop);
    lastFirstResponse = workers[0].firstResponse;
    return report;
  }

  private LoadReport summarize(String pass, int loop, Worker[] workers, double seconds) {
    Histogram h = new Histogram(3_600_000_000L, 3);
    long ok = 0;
    long attempted = 0;
    long maxNanos = 0;
    long retries = 0;
    double sumSeconds = 0;
    Map<String, Long> errors = new TreeMap<>();
    String firstError = null;
    for (Worker w : workers) {
      h.add(w.histogram);
      ok += w.succeeded;
      attempted += w.attempted;
      retries += w.retries;
      maxNanos = Math.max(maxNanos, w.maxNanos);
      sumSeconds += w.sumSeconds;
      w.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
      if (firstError == null) {
        firstError = w.firstError;
      }
    }
    double mean = ok == 0 ? 0 : sumSeconds / ok * 1000;
    double tps = seconds == 0 ? 0 : ok * (double) options.batch() / seconds;
    return new LoadReport(pass, options.rest() ? "rest" : "grpc", options.tls().secure(), options.cnum(),
        options.batch(), loop, attempted, ok, errors, firstError, seconds, mean,
        ms(h, 50), ms(h, 90), ms(h, 99), maxNanos / 1e6, tps, retries);
  }

  private static double ms(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
  }

  private void print(LoadReport r, Object firstResponse, int loop) {
    if (firstResponse != null) {
      out.println(Responses.render(firstResponse, options.fullResponse()));
    }
    if (loop != 0 || options.duration() != null) {
      out.println("summary: cnum " + r.cnum() + ", batch " + r.batch() + ", e2e time(s) "
          + PyRepr.float64(r.e2eSeconds()) + ", average latency(ms) " + PyRepr.float64(r.meanLatencyMs())
          + ", tps: " + PyRepr.float64(r.tps()));
    }
    out.println("latency(ms): p50 " + fixed1(r.p50Ms()) + ", p90 " + fixed1(r.p90Ms()) + ", p99 "
        + fixed1(r.p99Ms()) + ", max " + fixed1(r.maxMs()));
    StringBuilder e = new StringBuilder("errors: ").append(r.errors());
    if (!r.errorsByCode().isEmpty()) {
      List<String> parts = new ArrayList<>();
      new TreeMap<>(r.errorsByCode()).forEach((k, v) -> parts.add(k + " " + v));
      e.append(" (").append(String.join(", ", parts)).append(')');
    }
    out.println(e);
    if (options.retries() > 0) {
      out.println("retries: " + r.retries());
    }
    out.flush();
    if (r.succeeded() == 0 && r.attempted() > 0) {
      err.println("ccserve client: all " + r.attempted() + " requests of the " + r.pass()
          + " pass failed; first error: " + r.firstError());
      err.flush();
    }
  }

  private void printTop5(Object response) {
    float[] scores = Responses.firstRowScores(response, "predict");
    if (scores == null) {
      out.println("top-5: the response has no float output to rank");
      return;
    }
    boolean labelled = scores.length == ImageNetLabels.size();
    out.println("top-5 (" + (labelled ? "ImageNet labels, index 0 = background" : scores.length
        + " classes; for names give -Dccserve.imagenet_labels=FILE with " + scores.length
        + " lines") + "):");
    int rank = 1;
    for (ImageNetLabels.Ranked r : ImageNetLabels.top(scores, 5)) {
      out.println("  " + rank++ + ". " + PyRepr.str(r.label()) + " (index " + r.index() + ") "
          + PyRepr.float32(r.score()));
    }
    out.flush();
  }

  /** Python's {@code '{:.1f}'.format(x)}: round half to even on the exact binary value. */
  static String fixed1(double x) {
    if (Double.isNaN(x) || Double.isInfinite(x)) {
      return PyRepr.float64(x);
    }
    return new BigDecimal(x).setScale(1, RoundingMode.HALF_EVEN).toPlainString();
  }

  private final class Worker implements Runnable {
    final int task;
    final int loop;
    final long endAt;
    final AtomicLong done;
    final Histogram histogram = new Histogram(3_600_000_000L, 3);
    final Map<String, Long> errors = new TreeMap<>();
    long attempted;
    long retries;
    long succeeded;
    long maxNanos;
    double sumSeconds;
    String firstError;
    Object firstResponse;
    PredictConnection conn;

    Worker(int task, int loop, long endAt, AtomicLong done) {
      this.task = task;
      this.loop = loop;
      this.endAt = endAt;
      this.done = done;
    }

    @Override
    public void run() {
      String kind = options.tls().secure() ? "secure" : "insecure";
      try {
        conn = factory.open(task);
      } catch (RuntimeException e) {
        fail("UNKNOWN", "cannot open connection " + task + ": " + e.getMessage());
        return;
      }
      try {
        for (int k = 0; loop == 0 || k < loop; k++) {
          if (stopped || nanoTime.getAsLong() >= endAt) {
            break;
          }
          attempted++;
          long t0 = nanoTime.getAsLong();
          try {
            Object resp = sendWithRetries();
            long nanos = nanoTime.getAsLong() - t0;
            record(nanos, resp);
            if (!options.quiet()) {
              double s = nanos / 1e9;
              out.println("query: " + kind + " channel, task " + task + ", batch " + options.batch()
                  + (loop == 0 ? "" : ", loop_idx " + k) + ", latency(ms) " + fixed1(s * 1000)
                  + ", tps: " + fixed1(options.batch() / s));
            }
          } catch (PredictException e) {
            fail(e.code(), e.getMessage());
          } catch (RuntimeException e) {
            fail("UNKNOWN", e.getClass().getSimpleName() + ": " + e.getMessage());
          }
          done.incrementAndGet();
        }
      } finally {
        if (conn != null) {
          conn.close();
        }
      }
    }

    /** Sends once, then re-sends on a fresh connection while UNAVAILABLE and retries remain. */
    private Object sendWithRetries() {
      for (int attempt = 0; ; attempt++) {
        try {
          if (conn == null) {
            conn = factory.open(task);
          }
          return conn.send();
        } catch (PredictException e) {
          if (!"UNAVAILABLE".equals(e.code()) || attempt >= options.retries() || stopped) {
            throw e;
          }
          retries++;
          if (!options.quiet()) {
            out.println("Retrying (" + (attempt + 1) + "/" + options.retries()
                + ") on a new connection after: " + e.getMessage());
          }
          PredictConnection broken = conn;
          conn = null;
          broken.close();
        }
      }
    }

    private void record(long nanos, Object resp) {
      succeeded++;
      sumSeconds += nanos / 1e9;
      maxNanos = Math.max(maxNanos, nanos);
      histogram.recordValue(Math.max(1, Math.min(nanos / 1000, histogram.getHighestTrackableValue())));
      if (firstResponse == null) {
        firstResponse = resp;
      }
    }

    private void fail(String code, String message) {
      errors.merge(code, 1L, Long::sum);
      if (firstError == null) {
        firstError = message;
      }
      if (!options.quiet()) {
        out.println("Error response: " + message);
      }
    }
  }
}
