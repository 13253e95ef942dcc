package dev.ccserve.server;

import dev.ccserve.server.config.ModelConfig;
import dev.ccserve.server.core.AspiredVersionsManager;
import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServableHandle;
import dev.ccserve.server.core.ServableRequest;
import dev.ccserve.server.core.ServableState;
import dev.ccserve.server.core.ServableStateMonitor;
import dev.ccserve.server.core.ServableStateMonitor.VersionStatus;
import dev.ccserve.server.core.ServingException;
import dev.ccserve.server.runtime.TfSavedModel;
import dev.ccserve.server.source.FileSystemModelSource;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tensorflow.serving.Model.ModelSpec;

/**
 * The one serving core that the gRPC and REST adapters share: the model config, the file-system
 * source, the aspired-versions manager and version labels. It resolves a {@link ModelSpec} to a
 * servable handle, reports model status, and applies config reloads (the new config replaces the
 * old one; removed models are unloaded; the call returns once new models are AVAILABLE).
 * Thread-safe.
 */
public final class ServerCore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServerCore.class);

  private final AspiredVersionsManager<TfSavedModel> manager;
  private final FileSystemModelSource<TfSavedModel> source;
  private final Duration pollInterval;
  private final boolean allowLabelsForUnavailable;
  private final ScheduledExecutorService poller =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ccserve-fs-poll");
        t.setDaemon(true);
        return t;
      });
  private volatile Map<String, ModelConfig> models = Map.of();

  /**
   * @param pollInterval how often base paths are listed; zero = once at start, negative = never
   *     after the first listing.
   */
  public ServerCore(FileSystemModelSource.LoaderFactory<TfSavedModel> loaders, Duration pollInterval,
      int maxLoadRetries, Duration loadRetryInterval, boolean allowLabelsForUnavailable,
      Clock clock) {
    this.manager = new AspiredVersionsManager<>(
        new ServableStateMonitor(), clock, maxLoadRetries, loadRetryInterval);
    this.source = new FileSystemModelSource<>(manager, loaders);
    this.pollInterval = pollInterval;
    this.allowLabelsForUnavailable = allowLabelsForUnavailable;
  }

  public ServableStateMonitor monitor() {
    return manager.monitor();
  }

  /**
   * Loads the configured models and blocks until each has its aspired versions AVAILABLE; throws
   * if any cannot load, naming each failing model and its error.
   */
  public void start(List<ModelConfig> configs) throws ServingException {
    applyConfig(configs);
    if (pollInterval.compareTo(Duration.ZERO) > 0) {
      long ms = pollInterval.toMillis();
      poller.scheduleWithFixedDelay(this::pollQuietly, ms, ms, TimeUnit.MILLISECONDS);
    }
  }

  private void pollQuietly() {
    try {
      source.poll();
    } catch (RuntimeException e) {
      log.error("file-system poll failed: {}", e.toString());
    }
  }

  /** Replaces the model config (HandleReloadConfigRequest and config-file polling). */
  public synchronized void applyConfig(List<ModelConfig> configs) throws ServingException {
    Set<String> names = new HashSet<>();
    for (ModelConfig c : configs) {
      if (!names.add(c.name())) {
        throw ServingException.invalidArgument("Illegal to list model " + c.name()
            + " multiple times in config list");
      }
    }
    Map<String, ModelConfig> next = new TreeMap<>();
    configs.forEach(c -> next.put(c.name(), c));
    Set<String> added = new HashSet<>(next.keySet());
    added.removeAll(models.keySet());
    source.setModels(configs);
    models = Map.copyOf(next);
    source.poll();
    List<String> failures = new ArrayList<>();
    for (ModelConfig c : configs) {
      String err = loadError(c.name());
      if (err != null) {
        failures.add(err);
      }
    }
    if (!failures.isEmpty()) {
      throw new ServingException(Code.UNKNOWN, failures.size()
          + " model(s) did not become available: " + failures);
    }
    checkLabels(configs);
    if (!added.isEmpty()) {
      log.info("models added: {}", new java.util.TreeSet<>(added));
    }
  }

  /** Null when the model has an AVAILABLE version and no aspired version failed. */
  private String loadError(String name) {
    List<VersionStatus> vs = monitor().versions(name);
    boolean available = manager.availableVersions(name).size() > 0;
    for (VersionStatus v : vs) {
      if (v.state() == ServableState.END && v.code() != Code.OK && !available) {
        return "{" + name + " version " + v.id().version() + ": " + v.message() + "}";
      }
    }
    if (!available) {
      ModelConfig c = models.get(name);
      return "{" + name + ": no servable version found under " + (c == null ? "?" : c.basePath())
          + "}";
    }
    return null;
  }

  private void checkLabels(List<ModelConfig> configs) throws ServingException {
    if (allowLabelsForUnavailable) {
      return;
    }
    for (ModelConfig c : configs) {
      List<Long> avail = manager.availableVersions(c.name());
      for (Map.Entry<String, Long> e : c.versionLabels().entrySet()) {
        if (!avail.contains(e.getValue())) {
          throw ServingException.failedPrecondition("Request to assign label to version "
              + e.getValue() + " of model " + c.name()
              + ", which is not currently available for inference");
        }
      }
    }
  }

  /** Polls every base path now (tests and the poller). */
  public void pollNow() {
    source.poll();
  }

  public List<ModelConfig> models() {
    return List.copyOf(models.values());
  }

  /** Resolves a ModelSpec (name + version or label, or latest) to a servable request. */
  public ServableRequest resolve(ModelSpec spec) throws ServingException {
    if (spec.getName().isEmpty()) {
      throw ServingException.invalidArgument("ModelSpec has no name specified.");
    }
    return switch (spec.getVersionChoiceCase()) {
      case VERSION -> ServableRequest.specific(spec.getName(), spec.getVersion().getValue());
      case VERSION_LABEL -> {
        ModelConfig c = models.get(spec.getName());
        Long v = c == null ? null : c.versionLabels().get(spec.getVersionLabel());
        if (v == null) {
          throw ServingException.invalidArgument(
              "Unrecognized servable version label: " + spec.getVersionLabel());
        }
        yield ServableRequest.specific(spec.getName(), v);
      }
      default -> ServableRequest.latest(spec.getName());
    };
  }

  public ServableHandle<TfSavedModel> handle(ModelSpec spec) throws ServingException {
    return manager.getServableHandle(resolve(spec));
  }

  /** GetModelStatus: one version, or all known versions of the model. */
  public List<VersionStatus> status(ModelSpec spec) throws ServingException {
    if (spec.getName().isEmpty()) {
      throw ServingException.invalidArgument("ModelSpec has no name specified.");
    }
    if (spec.getVersionChoiceCase() != ModelSpec.VersionChoiceCase.VERSIONCHOICE_NOT_SET) {
      long v = resolve(spec).version().getAsLong();
      return List.of(monitor().version(spec.getName(), v).orElseThrow(() ->
          ServingException.notFound("Could not find version " + v + " of model "
              + spec.getName())));
    }
    List<VersionStatus> all = monitor().versions(spec.getName());
    if (all.isEmpty()) {
      throw ServingException.notFound("Could not find any versions of model " + spec.getName());
    }
    return all;
  }

  /** True once every configured model has at least one AVAILABLE version. */
  public boolean allModelsAvailable() {
    for (String m : models.keySet()) {
      if (manager.availableVersions(m).isEmpty()) {
        return false;
      }
    }
    return !models.isEmpty();
  }

  public List<Long> availableVersions(String model) {
    return manager.availableVersions(model);
  }

  @Override
  public void close() {
    poller.shutdownNow();
    manager.close();
  }
}
