package dev.ccserve.crypto.pf;

import dev.ccserve.crypto.key.WrapKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Encrypts or decrypts a whole directory tree (e.g. a SavedModel version directory) file by file,
 * like {@code gramine-sgx-pf-crypt} with a directory as input.
 *
 * <p>Encryption binds each file to {@code <bound prefix>/<relative path>}, where the bound prefix
 * is the output directory <em>as the user typed it</em>, normalized like Gramine does
 * ({@link PathBinding#normalize}), e.g. {@code -o models/resnet50-v15-fp32/1} gives
 * {@code models/resnet50-v15-fp32/1/variables/variables.index}: the path under which Gramine (or
 * ccserve) will later open the file. Decryption checks each file against
 * {@code directoryBinding.resolve(relativePath)}.
 *
 * <p>All-or-nothing: output is built in a sibling temporary directory ({@code <out>.tmp-<random>})
 * and renamed to {@code out} at the end; on any failure (including an exception thrown by the
 * {@link ProgressListener}) the temporary directory is deleted and nothing new remains. The output
 * directory must not exist or must be empty. Only directories and regular files are accepted;
 * symbolic links and special files are rejected, not followed. Stateless; thread-safe.
 */
public final class ProtectedDirectory {
  private static final int COPY_BUFFER_BYTES = 64 * 1024;

  /** Files processed and their total plaintext size. */
  public record Summary(int files, long plaintextBytes) {
    public Summary {
      if (files < 0 || plaintextBytes < 0) {
        throw new IllegalArgumentException("negative summary: " + files + ", " + plaintextBytes);
      }
    }
  }

  private ProtectedDirectory() {}

  /**
   * Encrypts every regular file under {@code plainDir} into the same relative path under
   * {@code outDir}, binding it to {@code normalize(boundPrefix) + "/" + relativePath}.
   */
  public static Summary encrypt(Path plainDir, Path outDir, String boundPrefix, WrapKey key,
      SecureRandom random, ProgressListener progress) throws ProtectedFileException {
    Tree tree = scan(plainDir);
    long total = 0;
    try {
      for (String rel : tree.files) {
        total += Files.size(plainDir.resolve(rel));
      }
    } catch (IOException e) {
      throw ProtectedFileException.io("reading", plainDir, e);
    }
    GraminePfWriter writer = new GraminePfWriter(key, random);
    Progress p = new Progress(progress, total);
    long sum = total;
    return build(outDir, random, tree, tmp -> {
      for (String rel : tree.files) {
        Path in = plainDir.resolve(rel);
        try (InputStream stream = Files.newInputStream(in)) {
          writer.encrypt(stream, tmp.resolve(rel), boundPath(boundPrefix, rel), p);
        } catch (ProtectedFileException e) {
          throw e;
        } catch (IOException e) {
          throw ProtectedFileException.io("reading", in, e);
        }
      }
      return new Summary(tree.files.size(), sum);
    });
  }

  /**
   * Decrypts every file under {@code encDir} (all must be protected files) into {@code outDir},
   * checking file {@code rel} against {@code directoryBinding.resolve(rel)}. Every file is
   * authenticated (metadata and path) before any output is written.
   */
  public static Summary decrypt(Path encDir, Path outDir, WrapKey key,
      PathBinding directoryBinding, ProgressListener progress) throws ProtectedFileException {
    Tree tree = scan(encDir);
    long total = 0;
    for (String rel : tree.files) {
      try (GraminePfReader r = GraminePfReader.open(encDir.resolve(rel), key,
          directoryBinding.resolve(rel))) {
        total += r.size();
      }
    }
    Progress p = new Progress(progress, total);
    long sum = total;
    SecureRandom random = new SecureRandom();
    return build(outDir, random, tree, tmp -> {
      byte[] buf = new byte[COPY_BUFFER_BYTES];
      try {
        for (String rel : tree.files) {
          decryptOne(encDir.resolve(rel), tmp.resolve(rel), key, directoryBinding.resolve(rel),
              buf, p);
        }
      } finally {
        java.util.Arrays.fill(buf, (byte) 0);
      }
      return new Summary(tree.files.size(), sum);
    });
  }

  /** Receives one decrypted file of {@link #decryptInMemory}. */
  @FunctionalInterface
  public interface PlaintextSink {
    /**
     * Called once per file, in sorted path order, with its complete, authenticated plaintext
     * (the array belongs to the sink, which should wipe it when done).
     */
    void accept(String relativePath, byte[] plaintext);
  }

  /**
   * Decrypts every file under {@code encDir} into memory, one file at a time (peak memory: the
   * largest file plus O(1)), checking file {@code rel} against
   * {@code directoryBinding.resolve(rel)}; e.g. the server loading a model version into
   * TensorFlow's {@code ram://} file system. Every file's metadata and path are authenticated
   * before the first file is delivered; each file is delivered only after all its nodes
   * authenticated. If a later file fails, earlier files have already been delivered: treat them
   * as provisional until this method returns normally.
   */
  public static Summary decryptInMemory(Path encDir, WrapKey key, PathBinding directoryBinding,
      PlaintextSink sink, ProgressListener progress) throws ProtectedFileException {
    Tree tree = scan(encDir);
    long total = 0;
    for (String rel : tree.files) {
      try (GraminePfReader r = GraminePfReader.open(encDir.resolve(rel), key,
          directoryBinding.resolve(rel))) {
        total += r.size();
      }
    }
    Progress p = new Progress(progress, total);
    for (String rel : tree.files) {
      byte[] plain = GraminePfReader.decrypt(encDir.resolve(rel), key,
          directoryBinding.resolve(rel));
      p.add(plain.length);
      sink.accept(rel, plain);
    }
    p.report();
    return new Summary(tree.files.size(), total);
  }

  /** The path a file {@code relativePath} under a directory bound as {@code boundPrefix} gets. */
  public static String boundPath(String boundPrefix, String relativePath) {
    String prefix = PathBinding.normalize(boundPrefix);
    String rel = PathBinding.normalize(relativePath);
    if (prefix.isEmpty()) {
      return rel;
    }
    return prefix.endsWith("/") ? prefix + rel : prefix + "/" + rel;
  }

  private static void decryptOne(Path in, Path out, WrapKey key, PathBinding binding, byte[] buf,
      Progress p) throws ProtectedFileException {
    try (GraminePfReader r = GraminePfReader.open(in, key, binding);
        OutputStream os = Files.newOutputStream(out, StandardOpenOption.CREATE_NEW)) {
      int n;
      while ((n = r.read(buf, 0, buf.length)) > 0) {
        os.write(buf, 0, n);
        p.add(n);
      }
    } catch (ProtectedFileException e) {
      throw e;
    } catch (IOException e) {
      throw ProtectedFileException.io("writing", out, e);
    }
    p.report();
  }

  /** The relative directories and regular files of a tree, '/'-separated, sorted. */
  private static final class Tree {
    final List<String> dirs = new ArrayList<>();
    final List<String> files = new ArrayList<>();
  }

  private static Tree scan(Path root) throws ProtectedFileException {
    if (!Files.isDirectory(root)) {
      throw new ProtectedFileException(ProtectedFileException.Reason.IO,
          "expected a directory, found none at " + root);
    }
    Tree tree = new Tree();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
        if (p.equals(root)) {
          continue;
        }
        String rel = relative(root, p);
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          tree.dirs.add(rel);
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          tree.files.add(rel);
        } else {
          throw new ProtectedFileException(ProtectedFileException.Reason.IO, "expected only "
              + "directories and regular files, found another kind (symlink?) at " + p);
        }
      }
    } catch (ProtectedFileException e) {
      throw e;
    } catch (IOException | java.io.UncheckedIOException e) {
      IOException io = e instanceof IOException ? (IOException) e
          : ((java.io.UncheckedIOException) e).getCause();
      throw ProtectedFileException.io("listing", root, io);
    }
    return tree;
  }

  private static String relative(Path root, Path p) {
    List<String> parts = new ArrayList<>();
    for (Path part : root.relativize(p)) {
      parts.add(part.toString());
    }
    return String.join("/", parts);
  }

  @FunctionalInterface
  private interface Fill {
    Summary into(Path tmpDir) throws ProtectedFileException;
  }

  private static Summary build(Path outDir, SecureRandom random, Tree tree, Fill fill)
      throws ProtectedFileException {
    Path abs = outDir.toAbsolutePath();
    checkOutputAvailable(abs);
    byte[] r = new byte[6];
    random.nextBytes(r);
    Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp-" + HexFormat.of().formatHex(r));
    boolean done = false;
    try {
      Files.createDirectories(abs.getParent());
      Files.createDirectory(tmp);
      for (String d : tree.dirs) {
        Files.createDirectories(tmp.resolve(d));
      }
      Summary s = fill.into(tmp);
      Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
      done = true;
      return s;
    } catch (DirectoryNotEmptyException e) {
      throw new ProtectedFileException(ProtectedFileException.Reason.IO,
          "output directory " + outDir + " is not empty", e);
    } catch (IOException e) {
      if (e instanceof ProtectedFileException) {
        throw (ProtectedFileException) e;
      }
      throw ProtectedFileException.io("writing", outDir, e);
    } finally {
      if (!done) {
        deleteTree(tmp);
      }
    }
  }

  private static void checkOutputAvailable(Path out) throws ProtectedFileException {
    if (!Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    boolean emptyDir = false;
    if (Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> s = Files.list(out)) {
        emptyDir = s.findAny().isEmpty();
      } catch (IOException e) {
        throw ProtectedFileException.io("listing", out, e);
      }
    }
    if (!emptyDir) {
      throw new ProtectedFileException(ProtectedFileException.Reason.IO,
          "expected output " + out + " to be absent or an empty directory; it exists");
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort; the directory has a random temporary name
        }
      });
    } catch (IOException | java.io.UncheckedIOException ignored) {
      // best effort
    }
  }
}
