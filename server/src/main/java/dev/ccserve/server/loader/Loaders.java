package dev.ccserve.server.loader;

import dev.ccserve.crypto.key.WrapKey;
import dev.ccserve.crypto.pf.GraminePfReader;
import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.Loader;
import dev.ccserve.server.core.ServingException;
import dev.ccserve.server.runtime.RamFileSystem;
import dev.ccserve.server.runtime.TfSavedModel;
import dev.ccserve.server.runtime.TfSessionOptions;
import dev.ccserve.server.source.FileSystemModelSource;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Chooses the loader for each version directory: a protected (encrypted) SavedModel when its
 * {@code saved_model.pb} is a Gramine protected file, a plaintext one otherwise. With
 * {@code requireProtected} (confidential mode) plaintext versions are refused, so the untrusted
 * host cannot substitute a model of its own. Keys are looked up by model name (the key broker
 * releases one wrap key per model).
 */
public final class Loaders {
  private Loaders() {}

  public static FileSystemModelSource.LoaderFactory<TfSavedModel> create(
      TfSessionOptions options, Function<String, WrapKey> keyForModel, boolean requireProtected) {
    RamFileSystem[] ram = new RamFileSystem[1];
    return (model, id, dir) -> {
      if (GraminePfReader.isProtectedFile(dir.resolve("saved_model.pb"))) {
        synchronized (ram) {
          if (ram[0] == null) {
            ram[0] = new RamFileSystem();
          }
        }
        return new ProtectedSavedModelLoader(dir, () -> keyForModel.apply(model.name()), options,
            ram[0]);
      }
      if (requireProtected) {
        return refuse(dir);
      }
      return new SavedModelLoader(dir, options);
    };
  }

  private static Loader<TfSavedModel> refuse(Path dir) {
    return new Loader<>() {
      @Override
      public TfSavedModel load() throws ServingException {
        throw new ServingException(Code.FAILED_PRECONDITION, dir + " is not an encrypted model "
            + "version; in confidential mode every model must be a protected (encrypted) "
            + "SavedModel (ccserve model encrypt)");
      }

      @Override
      public String describe() {
        return "refused plaintext SavedModel " + dir;
      }
    };
  }
}
