package dev.ccserve.server.modelgen;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Publishes a SavedModel version directory atomically: tools export into a hidden staging
 * directory next to the target ({@code <exportDir>/.staging-<version>-…}, which a version-polling
 * source ignores because the name is not a number) and rename it to {@code <exportDir>/<version>}
 * only when complete. An existing version is replaced only when asked; replacing renames the old
 * directory aside first (so there is a short window without that version), then deletes it.
 * Stateless; concurrent publishers of the same version are not coordinated beyond the rename.
 */
final class VersionDirectories {
  private VersionDirectories() {}

  static Path target(Path exportDir, long version) {
    if (version < 0) {
      throw new IllegalArgumentException("version must be >= 0, got " + version);
    }
    return exportDir.resolve(Long.toString(version));
  }

  /** Fails early (before any expensive work) when the version exists and may not be replaced. */
  static void checkTarget(Path exportDir, long version, boolean overwrite)
      throws ModelToolException {
    Path target = target(exportDir, version);
    if (Files.exists(target) && !overwrite) {
      throw new ModelToolException(
          "version directory " + target + " already exists; expected a new version number"
              + " (or pass overwrite to replace it)");
    }
    if (Files.exists(exportDir) && !Files.isDirectory(exportDir)) {
      throw new ModelToolException(
          "export directory " + exportDir + " exists but is not a directory");
    }
  }

  static Path createStaging(Path exportDir, long version) throws ModelToolException {
    try {
      Files.createDirectories(exportDir);
      return Files.createTempDirectory(exportDir, ".staging-" + version + "-");
    } catch (IOException e) {
      throw new ModelToolException(
          "cannot create a staging directory in " + exportDir + ": " + e, e);
    }
  }

  /**
   * Removes an empty {@code variables/} directory (graphs whose weights are constants, like the
   * seed's converted model, need none), then renames {@code staging} to the version directory.
   */
  static Path publish(Path staging, Path exportDir, long version, boolean overwrite)
      throws ModelToolException {
    Path target = target(exportDir, version);
    try {
      removeIfEmptyDirectory(staging.resolve("variables"));
      Path replaced = null;
      if (Files.exists(target)) {
        if (!overwrite) {
          throw new ModelToolException(
              "version directory " + target + " appeared while exporting; not replaced");
        }
        replaced = Files.createTempDirectory(exportDir, ".replaced-" + version + "-");
        Files.delete(replaced);
        move(target, replaced);
      }
      try {
        move(staging, target);
      } catch (IOException e) {
        if (replaced != null) {
          move(replaced, target);
        }
        throw e;
      }
      if (replaced != null) {
        deleteRecursively(replaced);
      }
      return target;
    } catch (FileAlreadyExistsException e) {
      throw new ModelToolException("version directory " + target + " already exists", e);
    } catch (IOException e) {
      throw new ModelToolException("cannot publish " + target + ": " + e, e);
    } finally {
      deleteQuietly(staging);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
  }

  private static void removeIfEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      if (!entries.iterator().hasNext()) {
        Files.delete(dir);
      }
    }
  }

  /** Deletes a file or directory tree if it exists; errors are ignored (best-effort cleanup). */
  static void deleteQuietly(Path path) {
    try {
      deleteRecursively(path);
    } catch (IOException | UncheckedIOException e) {
      // best effort: a leftover hidden staging directory is harmless
    }
  }

  static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
