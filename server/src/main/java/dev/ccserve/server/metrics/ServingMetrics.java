package dev.ccserve.server.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The server's Prometheus metrics: request counts and latency histograms per model, version, API
 * and entrypoint (GRPC/REST); model load times and states; batching; JVM. Served as text on the
 * REST port at {@code /monitoring/prometheus/metrics}. Thread-safe.
 */
public final class ServingMetrics {
  /** Which transport a request came in on. */
  public enum Entrypoint { GRPC, REST }

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter requests;
  private final Histogram latency;
  private final Gauge loadSeconds;
  private final Gauge versionState;
  private final Histogram batchSize;
  private final Histogram queueDelay;

  public ServingMetrics() {
    requests = Counter.builder().name("ccserve_requests_total")
        .help("Requests by model, version, API, entrypoint and status code")
        .labelNames("model", "version", "api", "entrypoint", "status").register(registry);
    latency = Histogram.builder().name("ccserve_request_latency_seconds")
        .help("Latency of successful requests, seconds")
        .labelNames("model", "version", "api", "entrypoint")
        .classicExponentialUpperBounds(0.0005, 1.8, 24).register(registry);
    loadSeconds = Gauge.builder().name("ccserve_model_load_seconds")
        .help("Time the last load of a model version took, seconds")
        .labelNames("model", "version").register(registry);
    versionState = Gauge.builder().name("ccserve_model_version_state")
        .help("Servable state of a model version: 10 START, 20 LOADING, 30 AVAILABLE, "
            + "40 UNLOADING, 50 END")
        .labelNames("model", "version").register(registry);
    batchSize = Histogram.builder().name("ccserve_batch_size")
        .help("Sizes of the batches the batcher ran").labelNames("model")
        .classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256).register(registry);
    queueDelay = Histogram.builder().name("ccserve_batch_queue_delay_seconds")
        .help("Time a request waited in the batching queue, seconds").labelNames("model")
        .classicExponentialUpperBounds(0.0001, 2, 18).register(registry);
    JvmMetrics.builder().register(registry);
  }

  public void recordRequest(String model, long version, String api, Entrypoint entry,
      String status, long nanos) {
    String v = version < 0 ? "" : Long.toString(version);
    requests.labelValues(model, v, api, entry.name(), status).inc();
    if ("OK".equals(status)) {
      latency.labelValues(model, v, api, entry.name()).observe(nanos / 1e9);
    }
  }

  public void recordLoad(String model, long version, double seconds) {
    loadSeconds.labelValues(model, Long.toString(version)).set(seconds);
  }

  public void recordState(String model, long version, int state) {
    versionState.labelValues(model, Long.toString(version)).set(state);
  }

  public void recordBatch(String model, int size) {
    batchSize.labelValues(model).observe(size);
  }

  public void recordQueueDelay(String model, long nanos) {
    queueDelay.labelValues(model).observe(nanos / 1e9);
  }

  public String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }

  public void writeTo(OutputStream out) throws IOException {
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
  }

  public String scrape() {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try {
      writeTo(b);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return b.toString(java.nio.charset.StandardCharsets.UTF_8);
  }
}
