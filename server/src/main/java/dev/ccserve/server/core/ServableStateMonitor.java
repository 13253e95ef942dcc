package dev.ccserve.server.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Keeps the latest {@link ServableState} and status of every version it has heard of, including
 * versions that were unloaded or failed (state {@code END}), as GetModelStatus reports them.
 * Thread-safe; {@link #awaitState} lets start-up and config reloads block until models are ready.
 */
public final class ServableStateMonitor {
  /** The latest state of one version, with the error that ended it, if any. */
  public record VersionStatus(ServableId id, ServableState state, Code code, String message) {}

  private final Map<String, TreeMap<Long, VersionStatus>> states = new HashMap<>();
  private final List<Consumer<VersionStatus>> listeners = new ArrayList<>();

  /** Records a transition; called by the manager. */
  public void publish(ServableId id, ServableState state, Code code, String message) {
    VersionStatus s = new VersionStatus(id, state, code, message == null ? "" : message);
    List<Consumer<VersionStatus>> ls;
    synchronized (this) {
      states.computeIfAbsent(id.name(), k -> new TreeMap<>()).put(id.version(), s);
      ls = List.copyOf(listeners);
      notifyAll();
    }
    for (Consumer<VersionStatus> l : ls) {
      l.accept(s);
    }
  }

  public synchronized void addListener(Consumer<VersionStatus> listener) {
    listeners.add(listener);
  }

  /** All known versions of a model, ascending; empty if the model is unknown. */
  public synchronized List<VersionStatus> versions(String name) {
    TreeMap<Long, VersionStatus> m = states.get(name);
    return m == null ? List.of() : List.copyOf(m.values());
  }

  public synchronized java.util.Optional<VersionStatus> version(String name, long version) {
    TreeMap<Long, VersionStatus> m = states.get(name);
    return java.util.Optional.ofNullable(m == null ? null : m.get(version));
  }

  public synchronized Map<String, List<VersionStatus>> all() {
    Map<String, List<VersionStatus>> out = new TreeMap<>();
    states.forEach((k, v) -> out.put(k, List.copyOf(v.values())));
    return Collections.unmodifiableMap(out);
  }

  /** Forgets a model entirely (it was removed from the config). */
  public synchronized void forget(String name) {
    states.remove(name);
  }

  /**
   * Waits until the predicate over a model's versions holds, or the timeout passes. Returns the
   * versions seen last.
   */
  public synchronized List<VersionStatus> awaitState(
      String name, java.util.function.Predicate<List<VersionStatus>> done, long timeoutMillis)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (true) {
      List<VersionStatus> v = versions(name);
      if (done.test(v)) {
        return v;
      }
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        return v;
      }
      wait(left);
    }
  }
}
