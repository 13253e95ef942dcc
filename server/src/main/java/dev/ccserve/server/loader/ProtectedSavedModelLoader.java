package dev.ccserve.server.loader;

import dev.ccserve.crypto.key.WrapKey;
import dev.ccserve.crypto.pf.GraminePfReader;
import dev.ccserve.crypto.pf.PathBinding;
import dev.ccserve.crypto.pf.ProtectedFileException;
import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.Loader;
import dev.ccserve.server.core.ServingException;
import dev.ccserve.server.runtime.RamFileSystem;
import dev.ccserve.server.runtime.TfSavedModel;
import dev.ccserve.server.runtime.TfSessionOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Loads a SavedModel version directory whose files are Gramine protected files (PF v2): each file
 * is authenticated and decrypted straight into TensorFlow's {@code ram://} file system, and the
 * SavedModel is loaded from there, so plaintext never reaches disk. Every regular file in the
 * directory must be a protected file (a plaintext file swapped in by the host is refused), and
 * each must be bound to its own path: the embedded path has to end with
 * {@code <model dir>/<version dir>/<relative path>}, so files cannot be swapped within or across
 * versions. After loading, the in-memory copies are released.
 */
public final class ProtectedSavedModelLoader implements Loader<TfSavedModel> {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path versionDir;
  private final Supplier<WrapKey> key;
  private final TfSessionOptions options;
  private final RamFileSystem ram;

  public ProtectedSavedModelLoader(Path versionDir, Supplier<WrapKey> key,
      TfSessionOptions options, RamFileSystem ram) {
    this.versionDir = versionDir;
    this.key = key;
    this.options = options;
    this.ram = ram;
  }

  @Override
  public TfSavedModel load() throws ServingException {
    WrapKey k = key.get();
    if (k == null) {
      throw new ServingException(Code.FAILED_PRECONDITION, versionDir + " holds protected "
          + "(encrypted) files but no model key is available: give --model_key_file, or run in "
          + "confidential mode so the key broker releases it");
    }
    List<Path> files = regularFiles();
    String ramDir = RamFileSystem.SCHEME + "ccserve/" + HexFormat.of().formatHex(
        RANDOM.generateSeed(8));
    String bindingPrefix = versionDir.getParent().getFileName() + "/" + versionDir.getFileName();
    List<String> written = new ArrayList<>();
    byte[] warmup = null;
    try {
      for (Path f : files) {
        String rel = versionDir.relativize(f).toString().replace('\\', '/');
        if (!GraminePfReader.isProtectedFile(f)) {
          throw new ServingException(Code.DATA_LOSS, "file " + rel + " in " + versionDir
              + " is not a protected file; every file of an encrypted model version must be "
              + "encrypted (was a plaintext file put in its place?)");
        }
        byte[] plain;
        try {
          plain = GraminePfReader.decrypt(f, k, PathBinding.suffix(bindingPrefix + "/" + rel));
        } catch (ProtectedFileException e) {
          throw new ServingException(Code.DATA_LOSS, "cannot open protected file " + f + ": "
              + e.getMessage());
        }
        try {
          String target = ramDir + "/" + rel;
          ram.write(target, plain);
          written.add(target);
          if (rel.equals(dev.ccserve.server.runtime.WarmupRecords.PATH)) {
            warmup = plain.clone();
          }
        } finally {
          Arrays.fill(plain, (byte) 0);
        }
      }
      if (written.stream().noneMatch(p -> p.endsWith("/saved_model.pb"))) {
        throw new ServingException(Code.NOT_FOUND, "protected model version " + versionDir
            + " has no saved_model.pb");
      }
      return TfSavedModel.load(ramDir, options, warmup);
    } finally {
      written.forEach(ram::release);
      if (warmup != null) {
        Arrays.fill(warmup, (byte) 0);
      }
    }
  }

  private List<Path> regularFiles() throws ServingException {
    try (Stream<Path> s = Files.walk(versionDir)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      throw new ServingException(Code.NOT_FOUND, "cannot list " + versionDir + ": " + e);
    }
  }

  @Override
  public String describe() {
    return "protected SavedModel " + versionDir;
  }
}
