package dev.ccserve.cli;

import dev.ccserve.client.LoadGenerator;
import dev.ccserve.client.LoadOptions;
import dev.ccserve.client.LoadReport;
import dev.ccserve.client.Target;
import dev.ccserve.client.TlsOptions;
import dev.ccserve.crypto.tls.TlsMaterialException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ccserve client}: the seed's {@code resnet_client_grpc.py} (same single-dash flags, same
 * output lines) plus ccserve's extras. Exit code 0 when every measured request succeeded, 1
 * otherwise.
 */
@Command(
    name = "client",
    mixinStandardHelpOptions = true,
    description = "Predict load generator compatible with the seed's resnet_client_grpc.py.")
final class ClientCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = {"-url", "--url"}, defaultValue = "localhost:8500", paramLabel = "HOST:PORT",
      description = "gRPC server (default: ${DEFAULT-VALUE}).")
  String url;

  @Option(names = {"-img", "--img"}, paramLabel = "FILE", description = "JPEG/PNG image (resized to 224x224 RGB) instead of random data; prints the top-5 classes.")
  Path image;

  @Option(names = "-ca", paramLabel = "FILE", description = "CA certificate (PEM): trust roots; with -crt/-key: mutual TLS.")
  Path ca;

  @Option(names = "-key", paramLabel = "FILE", description = "Client private key (PEM), used with -ca and -crt.")
  Path key;

  @Option(names = {"-crt", "--crt"}, paramLabel = "FILE",
      description = "Certificate (PEM): the client certificate with -ca, else the trusted server certificate.")
  Path crt;

  @Option(names = {"-batch", "--batch"}, defaultValue = "1", description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = {"-cnum", "--cnum"}, defaultValue = "16", description = "Concurrent connections (default: ${DEFAULT-VALUE}).")
  int cnum;

  @Option(names = {"-loop", "--loop"}, defaultValue = "200", description = "Requests per connection; 0 = until stopped or --duration (default: ${DEFAULT-VALUE}).")
  int loop;

  @Option(names = "--quiet", description = "No per-request lines; a progress bar on stderr.")
  boolean quiet;

  @Option(names = "--json", paramLabel = "FILE", description = "Write the measured pass's report as JSON.")
  Path json;

  @Option(names = "--duration", paramLabel = "DURATION", description = "Stop the measured pass after this long: 30s, 5m, 1h, PT30S or seconds.")
  String duration;

  @Option(names = "--rest", description = "Send the same load over TF Serving's REST API instead of gRPC.")
  boolean rest;

  @Option(names = "--rest_url", paramLabel = "HOST:PORT", description = "REST server (default: the -url host, port + 1).")
  String restUrl;

  @Option(names = "--model", defaultValue = LoadOptions.DEFAULT_MODEL, description = "Model name (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--signature", defaultValue = "serving_default", description = "Signature (default: ${DEFAULT-VALUE}).")
  String signature;

  @Option(names = "--input", defaultValue = "input", description = "Input tensor alias (default: ${DEFAULT-VALUE}).")
  String input;

  @Option(names = "--server_name", paramLabel = "NAME", description = "Name the server certificate must match (and TLS SNI) instead of the -url host.")
  String serverName;

  @Option(names = "--deadline_ms", paramLabel = "MS", description = "Per-request deadline in milliseconds (default: none, like the seed).")
  Long deadlineMs;

  @Option(names = "--full_response", description = "Print the first response without cutting long lists.")
  boolean fullResponse;

  @Option(names = "--no_warmup", description = "Skip the seed's 5-request warm-up pass.")
  boolean noWarmup;

  @Option(names = "--retries", paramLabel = "N", defaultValue = "0",
      description = "Re-send a request that failed with UNAVAILABLE up to N times, each on a new "
          + "connection (e.g. a replica behind a load balancer died); 0 = never, as the seed "
          + "(default: ${DEFAULT-VALUE}).")
  int retries;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    LoadOptions options = options();
    if (options.tls().keyIgnored()) {
      err.println("ccserve client: -key is ignored without -ca (as by the seed client: -crt alone is the trusted server certificate)");
    }
    LoadGenerator generator;
    try {
      generator = new LoadGenerator(options, out, err, Clock.systemUTC());
    } catch (TlsMaterialException | IllegalArgumentException e) {
      throw new CliException(e.getMessage());
    }
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      generator.stop();
      try {
        finished.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "ccserve-client-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    LoadReport report;
    try {
      report = generator.run();
    } finally {
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running (Ctrl-C): let it finish
      }
    }
    if (json != null) {
      report.writeJson(json);
    }
    return report.errors() == 0 ? 0 : 1;
  }

  private LoadOptions options() {
    try {
      if (image != null && !java.nio.file.Files.isReadable(image)) {
        throw CliException.usage("cannot read -img file '" + image + "'");
      }
      Target target = Target.parse(url);
      return new LoadOptions(target, restUrl == null ? null : Target.parse(restUrl), rest,
          new TlsOptions(ca, crt, key, serverName), cnum, batch, loop, parseDuration(duration), model, signature, input,
          deadlineMs == null ? null : Duration.ofMillis(deadlineMs), image, quiet, fullResponse, !noWarmup)
          .withRetries(retries);
    } catch (IllegalArgumentException e) {
      throw CliException.usage(e.getMessage());
    }
  }

  static Duration parseDuration(String text) {
    if (text == null) {
      return null;
    }
    String t = text.trim().toLowerCase(java.util.Locale.ROOT);
    try {
      if (t.startsWith("pt") || t.startsWith("p")) {
        return Duration.parse(text.trim().toUpperCase(java.util.Locale.ROOT));
      }
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      char unit = t.charAt(t.length() - 1);
      if (Character.isDigit(unit)) {
        return Duration.ofMillis(Math.round(Double.parseDouble(t) * 1000));
      }
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      return switch (unit) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> throw new IllegalArgumentException("unit");
      };
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("expected --duration like 30s, 5m, 1h, PT30S or seconds, found '" + text + "'");
    }
  }
}
