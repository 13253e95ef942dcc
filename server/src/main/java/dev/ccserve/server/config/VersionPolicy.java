package dev.ccserve.server.config;

import java.util.List;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which of the version directories found on disk a model serves: the latest N (default 1), all,
 * or a specific set (TF Serving's {@code ServableVersionPolicy}).
 */
public sealed interface VersionPolicy {
  /** Picks the aspired versions from those present on disk. */
  NavigableSet<Long> select(NavigableSet<Long> onDisk);

  record Latest(int numVersions) implements VersionPolicy {
    public Latest {
      if (numVersions < 1) {
        throw new IllegalArgumentException(
            "latest.num_versions must be >= 1, found " + numVersions);
      }
    }

    @Override
    public NavigableSet<Long> select(NavigableSet<Long> onDisk) {
      TreeSet<Long> out = new TreeSet<>();
      for (Long v : onDisk.descendingSet()) {
        if (out.size() == numVersions) {
          break;
        }
        out.add(v);
      }
      return out;
    }
  }

  record All() implements VersionPolicy {
    @Override
    public NavigableSet<Long> select(NavigableSet<Long> onDisk) {
      return new TreeSet<>(onDisk);
    }
  }

  record Specific(Set<Long> versions) implements VersionPolicy {
    public Specific {
      if (versions.isEmpty()) {
        throw new IllegalArgumentException("specific version policy lists no versions");
      }
      versions = Set.copyOf(versions);
    }

    @Override
    public NavigableSet<Long> select(NavigableSet<Long> onDisk) {
      TreeSet<Long> out = new TreeSet<>(onDisk);
      out.retainAll(versions);
      return out;
    }
  }

  static VersionPolicy latest() {
    return new Latest(1);
  }

  static VersionPolicy specific(List<Long> versions) {
    return new Specific(Set.copyOf(versions));
  }
}
