package dev.ccserve.keybroker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the current {@link BrokerState} and reloads it when the policy file or the secrets
 * directory changes (polling modification time, size and file key every {@code interval}; polling
 * works on every file system, including bind mounts and Kubernetes ConfigMap symlink swaps). A
 * reload that fails (bad policy, bad permissions) keeps the previous state and logs the error
 * naming the field. Thread-safe.
 */
final class PolicyWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyWatcher.class);

  private final Path policyFile;
  private final Path secretsDir;
  private final AtomicReference<BrokerState> current;
  private final ScheduledExecutorService timer;
  private volatile String stamp;

  PolicyWatcher(Path policyFile, Path secretsDir, Duration interval) throws KeyBrokerException {
    this.policyFile = Objects.requireNonNull(policyFile, "policyFile");
    this.secretsDir = Objects.requireNonNull(secretsDir, "secretsDir");
    this.stamp = stamp();
    this.current = new AtomicReference<>(BrokerState.load(policyFile, secretsDir));
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "keybroker-policy-watcher");
      t.setDaemon(true);
      return t;
    });
    long ms = Math.max(10, interval.toMillis());
    timer.scheduleWithFixedDelay(this::poll, ms, ms, TimeUnit.MILLISECONDS);
  }

  BrokerState current() {
    return current.get();
  }

  /** Reloads now; on failure keeps the old state and rethrows. */
  synchronized void reload() throws KeyBrokerException {
    String s = stamp();
    BrokerState next = BrokerState.load(policyFile, secretsDir);
    current.set(next);
    stamp = s;
    LOG.info("event=policy_loaded policy={} entries={} secrets={}", policyFile,
        next.policy().entries().size(), next.secrets().names().size());
  }

  private synchronized void poll() {
    String s = stamp();
    if (s.equals(stamp)) {
      return;
    }
    stamp = s;
    try {
      reload();
    } catch (KeyBrokerException e) {
      LOG.error("event=policy_reload_failed keeping=previous error=\"{}\"", e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("event=policy_reload_failed keeping=previous error={}", e.toString());
    }
  }

  private String stamp() {
    StringBuilder b = new StringBuilder();
    append(b, policyFile);
    append(b, secretsDir);
    try (var files = Files.list(secretsDir)) {
      files.sorted().forEach(f -> append(b, f));
    } catch (IOException | RuntimeException e) {
      b.append("unlistable;");
    }
    return b.toString();
  }

  private static void append(StringBuilder b, Path p) {
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
      b.append(p.getFileName()).append(':').append(a.lastModifiedTime()).append(':')
          .append(a.size()).append(':').append(a.fileKey()).append(';');
    } catch (IOException e) {
      b.append(p.getFileName()).append(":missing;");
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
