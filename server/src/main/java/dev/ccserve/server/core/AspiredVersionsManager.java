package dev.ccserve.server.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads and unloads servable versions so that what is served follows what sources aspire to.
 * Each call of {@link #setAspiredVersions} replaces the aspired list of one stream and reconciles
 * at once, on the caller's thread (sources call it from their poll thread), under one lock per
 * manager, so loads are sequential. The policy preserves availability: a version that is no longer
 * aspired is unloaded only once some aspired version is AVAILABLE, or when nothing is aspired.
 * Failed loads end in {@code END} with their error and are retried on later calls, at most
 * {@code maxLoadRetries} times, {@code loadRetryInterval} apart.
 *
 * <p>Requests take a {@link ServableHandle}; a version is closed only after its last handle is
 * released. Lookups are lock-free.
 */
public final class AspiredVersionsManager<T extends AutoCloseable> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AspiredVersionsManager.class);

  private final ServableStateMonitor monitor;
  private final Clock clock;
  private final int maxLoadRetries;
  private final Duration loadRetryInterval;
  private final Map<String, NavigableMap<Long, Harness<T>>> serving = new ConcurrentHashMap<>();
  private final Map<String, Map<Long, Harness<T>>> harnesses = new HashMap<>();
  private final Object reconcileLock = new Object();

  public AspiredVersionsManager(
      ServableStateMonitor monitor, Clock clock, int maxLoadRetries, Duration loadRetryInterval) {
    this.monitor = monitor;
    this.clock = clock;
    this.maxLoadRetries = maxLoadRetries;
    this.loadRetryInterval = loadRetryInterval;
  }

  public ServableStateMonitor monitor() {
    return monitor;
  }

  /** Replaces the aspired versions of stream {@code name} and reconciles. */
  public void setAspiredVersions(String name, List<AspiredVersion<T>> aspired) {
    synchronized (reconcileLock) {
      Map<Long, Harness<T>> hs = harnesses.computeIfAbsent(name, k -> new HashMap<>());
      Map<Long, AspiredVersion<T>> want = new HashMap<>();
      for (AspiredVersion<T> a : aspired) {
        want.put(a.id().version(), a);
      }
      List<AspiredVersion<T>> toLoad = new ArrayList<>(want.values());
      toLoad.sort(Comparator.comparingLong((AspiredVersion<T> a) -> a.id().version()).reversed());
      for (AspiredVersion<T> a : toLoad) {
        Harness<T> h = hs.get(a.id().version());
        if (h == null || h.shouldRetry(clock.instant(), maxLoadRetries, loadRetryInterval)) {
          Harness<T> nh = h == null ? new Harness<>(a.id(), a.loader()) : h.retryWith(a.loader());
          hs.put(a.id().version(), nh);
          load(nh);
        }
      }
      boolean anyAspiredAvailable =
          want.keySet().stream().anyMatch(v -> hs.containsKey(v) && hs.get(v).isAvailable());
      for (Harness<T> h : List.copyOf(hs.values())) {
        if (want.containsKey(h.id.version())) {
          continue;
        }
        if (h.isAvailable() && (anyAspiredAvailable || want.isEmpty())) {
          unload(h);
          hs.remove(h.id.version());
        } else if (!h.isAvailable()) {
          hs.remove(h.id.version());
        }
      }
    }
  }

  /** Unloads every version of a stream (the model left the config). */
  public void removeStream(String name) {
    setAspiredVersions(name, List.of());
    synchronized (reconcileLock) {
      harnesses.remove(name);
    }
  }

  private void load(Harness<T> h) {
    monitor.publish(h.id, ServableState.START, Code.OK, "");
    monitor.publish(h.id, ServableState.LOADING, Code.OK, "");
    long t0 = System.nanoTime();
    try {
      h.servable = h.loader.load();
      h.state = ServableState.AVAILABLE;
      serving.computeIfAbsent(h.id.name(), k -> new ConcurrentSkipListMap<>()).put(h.id.version(), h);
      monitor.publish(h.id, ServableState.AVAILABLE, Code.OK, "");
      log.info(
          "model={} version={} state=AVAILABLE load_ms={}",
          h.id.name(), h.id.version(), (System.nanoTime() - t0) / 1_000_000);
    } catch (ServingException | RuntimeException e) {
      Code code = e instanceof ServingException se ? se.code() : Code.INTERNAL;
      String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      h.state = ServableState.END;
      h.failures++;
      h.lastFailure = clock.instant();
      monitor.publish(h.id, ServableState.END, code, msg);
      log.error(
          "model={} version={} state=END load failed (attempt {}/{}): {}",
          h.id.name(), h.id.version(), h.failures, maxLoadRetries + 1, msg);
    }
  }

  private void unload(Harness<T> h) {
    NavigableMap<Long, Harness<T>> m = serving.get(h.id.name());
    if (m != null) {
      m.remove(h.id.version());
    }
    monitor.publish(h.id, ServableState.UNLOADING, Code.OK, "");
    h.awaitIdleAndClose();
    monitor.publish(h.id, ServableState.END, Code.OK, "");
    log.info("model={} version={} state=END unloaded", h.id.name(), h.id.version());
  }

  /** Returns a handle to the requested version, or NOT_FOUND in TF Serving's words. */
  public ServableHandle<T> getServableHandle(ServableRequest request) throws ServingException {
    for (int attempt = 0; attempt < 3; attempt++) {
      NavigableMap<Long, Harness<T>> m = serving.get(request.name());
      Harness<T> h = null;
      if (m != null && !m.isEmpty()) {
        if (request.version().isPresent()) {
          h = m.get(request.version().getAsLong());
        } else {
          Map.Entry<Long, Harness<T>> e = m.lastEntry();
          h = e == null ? null : e.getValue();
        }
      }
      if (h == null) {
        break;
      }
      ServableHandle<T> handle = h.tryAcquire();
      if (handle != null) {
        return handle;
      }
    }
    throw ServingException.notFound("Servable not found for request: " + request);
  }

  /** The versions currently AVAILABLE for a stream, ascending. */
  public List<Long> availableVersions(String name) {
    NavigableMap<Long, Harness<T>> m = serving.get(name);
    return m == null ? List.of() : List.copyOf(m.keySet());
  }

  @Override
  public void close() {
    synchronized (reconcileLock) {
      for (String name : List.copyOf(harnesses.keySet())) {
        for (Harness<T> h : List.copyOf(harnesses.get(name).values())) {
          if (h.isAvailable()) {
            unload(h);
          }
        }
      }
      harnesses.clear();
    }
  }

  /** The state machine of one version plus its reference count. */
  private static final class Harness<T extends AutoCloseable> {
    final ServableId id;
    final Loader<T> loader;
    volatile ServableState state = ServableState.START;
    T servable;
    int failures;
    Instant lastFailure;
    private int refs;
    private boolean closing;

    Harness(ServableId id, Loader<T> loader) {
      this.id = id;
      this.loader = loader;
    }

    Harness<T> retryWith(Loader<T> newLoader) {
      Harness<T> h = new Harness<>(id, newLoader);
      h.failures = failures;
      h.lastFailure = lastFailure;
      return h;
    }

    boolean isAvailable() {
      return state == ServableState.AVAILABLE;
    }

    boolean shouldRetry(Instant now, int maxRetries, Duration interval) {
      return state == ServableState.END
          && failures > 0
          && failures <= maxRetries
          && !now.isBefore(lastFailure.plus(interval));
    }

    synchronized ServableHandle<T> tryAcquire() {
      if (closing || state != ServableState.AVAILABLE) {
        return null;
      }
      refs++;
      T s = servable;
      return new ServableHandle<>() {
        private boolean released;

        @Override
        public ServableId id() {
          return id;
        }

        @Override
        public T get() {
          return s;
        }

        @Override
        public void close() {
          if (!released) {
            released = true;
            release();
          }
        }
      };
    }

    private synchronized void release() {
      refs--;
      if (refs == 0) {
        notifyAll();
      }
    }

    synchronized void awaitIdleAndClose() {
      closing = true;
      state = ServableState.UNLOADING;
      boolean interrupted = false;
      while (refs > 0) {
        try {
          wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      try {
        servable.close();
      } catch (Exception e) {
        log.warn("model={} version={} error while unloading: {}", id.name(), id.version(), e.toString());
      }
      servable = null;
      state = ServableState.END;
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
