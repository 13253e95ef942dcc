package dev.ccserve.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What {@link LoadGenerator} runs: the seed client's parameters plus ccserve's extras. Validated
 * in the compact constructor; {@link #defaults(Target)} gives the seed's defaults (cnum 16, loop
 * 200, batch 1, model {@code resnet50-v15-fp32}, signature {@code serving_default}, input
 * {@code input}, TLS off, no deadline, warm-up on).
 *
 * @param target gRPC server
 * @param restTarget REST server for {@code rest}; null means the gRPC port + 1
 * @param rest send the load over REST instead of gRPC
 * @param tls the seed's -ca/-crt/-key (+ server-name override)
 * @param cnum concurrent connections, each with its own channel (TCP + TLS)
 * @param batch images per request
 * @param loop requests per connection; 0 = until {@code duration} or {@link LoadGenerator#stop()}
 * @param duration stop the measured pass after this long; null = no limit
 * @param deadline per-request deadline; null = none (as the seed)
 * @param image image file to send instead of random data; null = random
 * @param quiet no per-request lines; a progress bar on stderr instead
 * @param fullResponse print the first response without cutting long lists
 * @param warmup run the seed's 5-request warm-up pass first (only when loop != 0)
 * @param retries how often a request that failed with {@code UNAVAILABLE} is re-sent, each time on
 *     a fresh connection (new channel: TCP + TLS); 0 = never, as the seed (Predict is idempotent)
 */
public record LoadOptions(
    Target target, Target restTarget, boolean rest, TlsOptions tls, int cnum, int batch, int loop,
    Duration duration, String model, String signature, String input, Duration deadline, Path image,
    boolean quiet, boolean fullResponse, boolean warmup, int retries) {
  public static final String DEFAULT_MODEL = "resnet50-v15-fp32";
  public static final int WARMUP_LOOP = 5;

  public LoadOptions {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(signature, "signature");
    Objects.requireNonNull(input, "input");
    if (cnum < 1) {
      throw new IllegalArgumentException("expected cnum >= 1, found " + cnum);
    }
    if (batch < 1) {
      throw new IllegalArgumentException("expected batch >= 1, found " + batch);
    }
    if (loop < 0) {
      throw new IllegalArgumentException("expected loop >= 0 (0 = until stopped), found " + loop);
    }
    if (duration != null && (duration.isNegative() || duration.isZero())) {
      throw new IllegalArgumentException("expected a positive duration, found " + duration);
    }
    if (deadline != null && (deadline.isNegative() || deadline.isZero())) {
      throw new IllegalArgumentException("expected a positive deadline, found " + deadline);
    }
    if (retries < 0) {
      throw new IllegalArgumentException("expected retries >= 0, found " + retries);
    }
  }

  /** The options without retries (the seed's behaviour). */
  public LoadOptions(
      Target target, Target restTarget, boolean rest, TlsOptions tls, int cnum, int batch, int loop,
      Duration duration, String model, String signature, String input, Duration deadline, Path image,
      boolean quiet, boolean fullResponse, boolean warmup) {
    this(target, restTarget, rest, tls, cnum, batch, loop, duration, model, signature, input, deadline,
        image, quiet, fullResponse, warmup, 0);
  }

  public static LoadOptions defaults(Target target) {
    return new LoadOptions(target, null, false, TlsOptions.PLAINTEXT, 16, 1, 200, null, DEFAULT_MODEL,
        "serving_default", "input", null, null, false, false, true);
  }

  public Target effectiveRestTarget() {
    return restTarget != null ? restTarget : target.nextPort();
  }

  public LoadOptions withTls(TlsOptions t) {
    return new LoadOptions(target, restTarget, rest, t, cnum, batch, loop, duration, model, signature, input,
        deadline, image, quiet, fullResponse, warmup, retries);
  }

  public LoadOptions withLoad(int cnum, int batch, int loop) {
    return new LoadOptions(target, restTarget, rest, tls, cnum, batch, loop, duration, model, signature, input,
        deadline, image, quiet, fullResponse, warmup, retries);
  }

  public LoadOptions withRest(boolean rest, Target restTarget) {
    return new LoadOptions(target, restTarget, rest, tls, cnum, batch, loop, duration, model, signature, input,
        deadline, image, quiet, fullResponse, warmup, retries);
  }

  public LoadOptions withOutput(boolean quiet, boolean fullResponse, boolean warmup) {
    return new LoadOptions(target, restTarget, rest, tls, cnum, batch, loop, duration, model, signature, input,
        deadline, image, quiet, fullResponse, warmup, retries);
  }

  public LoadOptions withLimits(Duration duration, Duration deadline) {
    return new LoadOptions(target, restTarget, rest, tls, cnum, batch, loop, duration, model, signature, input,
        deadline, image, quiet, fullResponse, warmup, retries);
  }

  public LoadOptions withModel(String model, String signature, String input, Path image) {
    return new LoadOptions(target, restTarget, rest, tls, cnum, batch, loop, duration, model, signature, input,
        deadline, image, quiet, fullResponse, warmup, retries);
  }

  public LoadOptions withRetries(int retries) {
    return new LoadOptions(target, restTarget, rest, tls, cnum, batch, loop, duration, model, signature, input,
        deadline, image, quiet, fullResponse, warmup, retries);
  }
}
