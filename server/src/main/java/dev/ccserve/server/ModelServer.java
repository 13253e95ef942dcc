package dev.ccserve.server;

import dev.ccserve.crypto.tls.ServerTls;
import dev.ccserve.server.config.ModelConfig;
import dev.ccserve.server.config.ModelServerConfigs;
import dev.ccserve.server.core.ServingException;
import dev.ccserve.server.grpc.GrpcServer;
import dev.ccserve.server.metrics.ServingMetrics;
import dev.ccserve.server.rest.RestHandler;
import dev.ccserve.server.rest.RestServer;
import dev.ccserve.server.runtime.TfSavedModel;
import dev.ccserve.server.source.FileSystemModelSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model server process: opens the gRPC and REST ports first (health NOT_SERVING), then loads
 * the configured models, then reports ready. Callers may run start-up steps of their own (such as
 * attestation and key release) between {@link #openPorts()} and {@link #loadModels()}, with
 * {@link #readiness()} telling clients why the server is not ready yet. Optionally re-reads
 * {@code --model_config_file} periodically.
 */
public final class ModelServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ModelServer.class);

  private final ServerOptions options;
  private final Readiness readiness = new Readiness("starting");
  private final ServerCore core;
  private final ServingMetrics metrics = new ServingMetrics();
  private final ServingApi api;
  private final GrpcServer grpc;
  private final RestServer rest;
  private final ScheduledExecutorService configPoller =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ccserve-config-poll");
        t.setDaemon(true);
        return t;
      });

  public ModelServer(ServerOptions options,
      FileSystemModelSource.LoaderFactory<TfSavedModel> loaders, Optional<ServerTls> tls,
      java.util.function.Function<ServingMetrics, ServingApi.Predictor> predictor)
      throws IOException {
    this.options = options;
    this.core = new ServerCore(loaders, options.fileSystemPollInterval(),
        options.maxLoadRetries(), options.loadRetryInterval(),
        options.allowLabelsForUnavailableModels(), Clock.systemUTC());
    java.util.Map<dev.ccserve.server.core.ServableId, Long> loadStarts =
        new java.util.concurrent.ConcurrentHashMap<>();
    core.monitor().addListener(s -> {
      metrics.recordState(s.id().name(), s.id().version(), s.state().protoValue());
      if (s.state() == dev.ccserve.server.core.ServableState.LOADING) {
        loadStarts.put(s.id(), System.nanoTime());
      } else if (s.state() == dev.ccserve.server.core.ServableState.AVAILABLE) {
        Long t0 = loadStarts.remove(s.id());
        if (t0 != null) {
          metrics.recordLoad(s.id().name(), s.id().version(), (System.nanoTime() - t0) / 1e9);
        }
      }
    });
    this.api = new ServingApi(core, metrics, predictor.apply(metrics));
    this.grpc = new GrpcServer(new InetSocketAddress(options.bindAddress(), options.grpcPort()),
        api, readiness, tls, options.grpcMaxThreads(), options.maxMessageBytes());
    this.rest = options.restPort() < 0 ? null : new RestServer(
        new InetSocketAddress(options.bindAddress(), options.restPort()),
        new RestHandler(api, options.restTimeoutMillis()), metrics, readiness,
        tls, options.restThreads(), options.maxMessageBytes());
  }

  public Readiness readiness() {
    return readiness;
  }

  public ServerCore core() {
    return core;
  }

  public ServingMetrics metrics() {
    return metrics;
  }

  /** Opens both ports; requests get UNAVAILABLE until {@link #loadModels()} finishes. */
  public void openPorts() throws IOException {
    grpc.start();
    log.info("gRPC API listening on {}:{} (not ready yet)", options.bindAddress(), grpc.port());
    if (rest != null) {
      rest.start();
      log.info("Exporting HTTP/REST API at:{}:{}", options.bindAddress(), rest.port());
    }
  }

  /** Loads every configured model and blocks until they are AVAILABLE, then reports ready. */
  public void loadModels() throws ServingException {
    readiness.notReady("loading models");
    List<ModelConfig> models = options.modelConfigFile().isPresent()
        ? ModelServerConfigs.readFile(options.modelConfigFile().get()) : options.models();
    core.start(models);
    long pollMs = options.modelConfigFilePollInterval().toMillis();
    if (options.modelConfigFile().isPresent() && pollMs > 0) {
      configPoller.scheduleWithFixedDelay(this::reloadConfigFile, pollMs, pollMs,
          TimeUnit.MILLISECONDS);
    }
    readiness.ready();
    grpc.markServing();
    log.info("ready: serving {} model(s); Entering the event loop ...", models.size());
  }

  private void reloadConfigFile() {
    try {
      core.applyConfig(ModelServerConfigs.readFile(options.modelConfigFile().get()));
    } catch (ServingException | RuntimeException e) {
      log.error("reloading --model_config_file failed; keeping the previous config: {}",
          e.getMessage());
    }
  }

  public int grpcPort() {
    return grpc.port();
  }

  public int restPort() {
    return rest == null ? -1 : rest.port();
  }

  @Override
  public void close() {
    readiness.notReady("shutting down");
    grpc.markNotServing();
    configPoller.shutdownNow();
    grpc.close();
    if (rest != null) {
      rest.close();
    }
    core.close();
  }
}
