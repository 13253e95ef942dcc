package dev.ccserve.server.loader;

import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.Loader;
import dev.ccserve.server.core.ServingException;
import dev.ccserve.server.runtime.TfSavedModel;
import dev.ccserve.server.runtime.TfSessionOptions;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads a plaintext SavedModel version directory from disk. */
public final class SavedModelLoader implements Loader<TfSavedModel> {
  private final Path versionDir;
  private final TfSessionOptions options;

  public SavedModelLoader(Path versionDir, TfSessionOptions options) {
    this.versionDir = versionDir;
    this.options = options;
  }

  @Override
  public TfSavedModel load() throws ServingException {
    requireSavedModel(versionDir);
    Path warmup = versionDir.resolve(dev.ccserve.server.runtime.WarmupRecords.PATH);
    byte[] records = null;
    if (Files.isRegularFile(warmup)) {
      try {
        records = Files.readAllBytes(warmup);
      } catch (java.io.IOException e) {
        throw new ServingException(Code.DATA_LOSS, "cannot read " + warmup + ": " + e);
      }
    }
    return TfSavedModel.load(versionDir.toAbsolutePath().toString(), options, records);
  }

  /** Fails clearly when a version directory is not (yet) a complete SavedModel. */
  static void requireSavedModel(Path dir) throws ServingException {
    if (!Files.isRegularFile(dir.resolve("saved_model.pb"))
        && !Files.isRegularFile(dir.resolve("saved_model.pbtxt"))) {
      throw new ServingException(Code.NOT_FOUND, "Could not find SavedModel .pb or .pbtxt at "
          + "supplied export directory path: " + dir + " (expected saved_model.pb; is the "
          + "version directory still being written?)");
    }
  }

  @Override
  public String describe() {
    return "SavedModel " + versionDir;
  }
}
