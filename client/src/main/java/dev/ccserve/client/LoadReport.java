package dev.ccserve.client;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The figures of one load-generator pass. Latencies are in milliseconds over successful requests;
 * percentiles come from an HdrHistogram with 3 significant digits, {@code maxMs} is exact.
 * {@code tps} = succeeded × batch / e2e time (the seed's cnum × loop × batch / T when nothing
 * failed). {@code attempted} counts each request once, however often it was re-sent;
 * {@code retries} counts the re-sends (see {@link LoadOptions#retries()}), so a request that failed
 * once and then succeeded on a fresh connection is one success and one retry. Immutable.
 */
public record LoadReport(
    String pass, String transport, boolean secure, int cnum, int batch, int loop, long attempted,
    long succeeded, Map<String, Long> errorsByCode, String firstError, double e2eSeconds,
    double meanLatencyMs, double p50Ms, double p90Ms, double p99Ms, double maxMs, double tps, long retries) {
  public LoadReport {
    errorsByCode = Map.copyOf(errorsByCode);
  }

  public long errors() {
    return attempted - succeeded;
  }

  /** Writes {@link #toMap()} as pretty-printed JSON to {@code file}. */
  public void writeJson(java.nio.file.Path file) throws java.io.IOException {
    new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
        .writeValue(file.toFile(), toMap());
  }

  /** The report as an ordered map for JSON output. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("pass", pass);
    m.put("transport", transport);
    m.put("secure", secure);
    m.put("cnum", cnum);
    m.put("batch", batch);
    m.put("loop", loop);
    m.put("requests", attempted);
    m.put("succeeded", succeeded);
    m.put("errors", errors());
    m.put("errors_by_code", new java.util.TreeMap<>(errorsByCode));
    m.put("retries", retries);
    if (firstError != null) {
      m.put("first_error", firstError);
    }
    m.put("e2e_time_s", e2eSeconds);
    m.put("tps", tps);
    Map<String, Object> lat = new LinkedHashMap<>();
    lat.put("mean", meanLatencyMs);
    lat.put("p50", p50Ms);
    lat.put("p90", p90Ms);
    lat.put("p99", p99Ms);
    lat.put("max", maxMs);
    m.put("latency_ms", lat);
    return m;
  }
}
