package dev.ccserve.server.source;

import dev.ccserve.server.config.ModelConfig;
import dev.ccserve.server.core.AspiredVersion;
import dev.ccserve.server.core.AspiredVersionsManager;
import dev.ccserve.server.core.Loader;
import dev.ccserve.server.core.ServableId;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches each model's base path for numeric version directories and tells the manager which
 * versions to serve, like TF Serving's file-system storage path source. Each {@link #poll()} sends
 * the complete aspired list of every model. A missing base path changes nothing (logged); an empty
 * one unloads every version. Non-numeric children are skipped with a warning.
 */
public final class FileSystemModelSource<T extends AutoCloseable> {
  private static final Logger log = LoggerFactory.getLogger(FileSystemModelSource.class);

  /** Makes a loader for one version directory of one model. */
  public interface LoaderFactory<T extends AutoCloseable> {
    Loader<T> create(ModelConfig model, ServableId id, Path versionDir);
  }

  private final AspiredVersionsManager<T> manager;
  private final LoaderFactory<T> loaders;
  private final Map<String, ModelConfig> models = new ConcurrentHashMap<>();
  private final Map<String, String> lastWarning = new ConcurrentHashMap<>();

  public FileSystemModelSource(AspiredVersionsManager<T> manager, LoaderFactory<T> loaders) {
    this.manager = manager;
    this.loaders = loaders;
  }

  /** Replaces the set of watched models; models no longer present are unloaded. */
  public synchronized void setModels(List<ModelConfig> configs) {
    Map<String, ModelConfig> next = new TreeMap<>();
    for (ModelConfig c : configs) {
      next.put(c.name(), c);
    }
    for (String old : List.copyOf(models.keySet())) {
      if (!next.containsKey(old)) {
        models.remove(old);
        manager.removeStream(old);
        manager.monitor().forget(old);
      }
    }
    models.putAll(next);
  }

  /** Lists every base path once and sends the aspired versions. */
  public synchronized void poll() {
    for (ModelConfig m : models.values()) {
      pollModel(m);
    }
  }

  /** Polls one model only. */
  public synchronized void pollModel(ModelConfig m) {
    TreeMap<Long, Path> onDisk;
    try {
      onDisk = listVersions(m);
    } catch (IOException e) {
      warnOnce(m.name(), "model=" + m.name() + " Could not find base path " + m.basePath()
          + " for servable " + m.name() + ": " + e.getMessage());
      return;
    }
    NavigableSet<Long> chosen = m.versionPolicy().select(new TreeSet<>(onDisk.keySet()));
    if (m.versionPolicy() instanceof dev.ccserve.server.config.VersionPolicy.Specific s) {
      for (Long v : s.versions()) {
        if (!onDisk.containsKey(v)) {
          warnOnce(m.name() + "/" + v, "model=" + m.name() + " version " + v
              + " is in the specific version policy but not found under " + m.basePath());
        }
      }
    }
    List<AspiredVersion<T>> aspired = new ArrayList<>();
    for (Long v : chosen) {
      ServableId id = new ServableId(m.name(), v);
      aspired.add(new AspiredVersion<>(id, loaders.create(m, id, onDisk.get(v))));
    }
    manager.setAspiredVersions(m.name(), aspired);
  }

  private TreeMap<Long, Path> listVersions(ModelConfig m) throws IOException {
    if (!Files.isDirectory(m.basePath())) {
      throw new IOException("not a directory");
    }
    TreeMap<Long, Path> out = new TreeMap<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(m.basePath())) {
      for (Path child : ds) {
        String n = child.getFileName().toString();
        if (!Files.isDirectory(child) || n.startsWith(".")) {
          continue;
        }
        Long v = parseVersion(n);
        if (v == null) {
          warnOnce(m.name() + "/" + n, "model=" + m.name() + " ignoring non-numeric directory "
              + child + ". Did you forget to name your leaf directory as a number (eg. '/1/')?");
          continue;
        }
        if (out.containsKey(v)) {
          warnOnce(m.name() + "/" + n, "model=" + m.name() + " directories " + out.get(v)
              + " and " + child + " both parse as version " + v + "; using the first");
          continue;
        }
        out.put(v, child);
      }
    }
    return out;
  }

  static Long parseVersion(String name) {
    if (name.isEmpty() || name.length() > 19) {
      return null;
    }
    for (int i = 0; i < name.length(); i++) {
      if (!Character.isDigit(name.charAt(i))) {
        return null;
      }
    }
    return Long.parseLong(name);
  }

  private void warnOnce(String key, String message) {
    if (!message.equals(lastWarning.put(key, message))) {
      log.warn(message);
    }
  }
}
