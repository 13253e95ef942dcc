package dev.ccserve.cli;

import dev.ccserve.crypto.key.WrapKey;
import dev.ccserve.crypto.pf.GraminePfReader;
import dev.ccserve.crypto.pf.GraminePfWriter;
import dev.ccserve.crypto.pf.PathBinding;
import dev.ccserve.crypto.pf.ProgressListener;
import dev.ccserve.crypto.pf.ProtectedDirectory;
import dev.ccserve.crypto.pf.ProtectedFileException;
import dev.ccserve.crypto.pf.ProtectedFileInfo;
import dev.ccserve.server.modelgen.Arch;
import dev.ccserve.server.modelgen.ConvertedModel;
import dev.ccserve.server.modelgen.FetchedModel;
import dev.ccserve.server.modelgen.GeneratedModel;
import dev.ccserve.server.modelgen.GraphDefConverter;
import dev.ccserve.server.modelgen.ModelFetcher;
import dev.ccserve.server.modelgen.ModelGenerator;
import dev.ccserve.server.modelgen.ModelToolException;
import dev.ccserve.server.modelgen.SavedModelInfo;
import dev.ccserve.server.modelgen.SavedModelInspector;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code ccserve model …}: make, convert, inspect and encrypt SavedModels. */
@Command(name = "model", mixinStandardHelpOptions = true,
    description = "Make, convert, inspect, encrypt and decrypt models.",
    subcommands = {ModelCommand.Generate.class, ModelCommand.Convert.class,
        ModelCommand.Fetch.class, ModelCommand.Keygen.class, ModelCommand.Encrypt.class,
        ModelCommand.Decrypt.class, ModelCommand.Inspect.class})
public final class ModelCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static PrintWriter out(CommandSpec spec) {
    return spec.commandLine().getOut();
  }

  @Command(name = "generate", mixinStandardHelpOptions = true,
      description = {"Export a SavedModel with deterministic (NOT pretrained) weights.",
          "resnet50: ResNet-50 v1.5, input 'input' float32 [N,224,224,3], output 'predict' "
              + "float32 [N,1001] softmax, signature serving_default.",
          "tiny: same signature, a few thousand parameters; tiny_multi: two inputs, for tests."})
  static final class Generate implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", description = "Architecture: resnet50, tiny or tiny_multi.")
    String arch;

    @Option(names = "--arch", hidden = true, description = "Same as the positional argument.")
    String archOption;

    @Option(names = "--export_dir", required = true,
        description = "Model base directory; the SavedModel goes to <export_dir>/<model_version>.")
    Path exportDir;

    @Option(names = "--model_version", defaultValue = "1", description = "Version (default: ${DEFAULT-VALUE}).")
    long version;

    @Option(names = "--seed", defaultValue = "0", description = "Weight seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--overwrite", description = "Replace an existing version directory.")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
      Arch a;
      try {
        a = Arch.fromCliName(archOption != null ? archOption : arch);
      } catch (IllegalArgumentException e) {
        throw CliException.usage(e.getMessage());
      }
      try {
        GeneratedModel m = new ModelGenerator().generate(a, exportDir, version, seed, overwrite);
        out(spec).printf("generated %s version %d in %s: %,d parameters, %.3f GMAC/example, "
            + "seed %d (deterministic weights, not pretrained)%n", a.cliName(), m.version(),
            m.versionDir(), m.statistics().parameters(),
            m.statistics().macsPerExample() / 1e9, seed);
        return 0;
      } catch (ModelToolException e) {
        throw new CliException(e.getMessage());
      }
    }
  }

  @Command(name = "convert", mixinStandardHelpOptions = true,
      description = "Frozen GraphDef (.pb) -> SavedModel, like the seed's "
          + "model_graph_to_saved_model.py (aliases input/predict, signature serving_default).")
  static final class Convert implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--import_path", required = true, description = "Frozen graph .pb file.")
    Path importPath;

    @Option(names = "--export_dir", required = true, description = "Model base directory.")
    Path exportDir;

    @Option(names = "--model_version", defaultValue = "1", description = "Version (default: ${DEFAULT-VALUE}).")
    long version;

    @Option(names = "--inputs", defaultValue = "input", description = "Input node (default: ${DEFAULT-VALUE}).")
    String inputs;

    @Option(names = "--outputs", defaultValue = "predict", description = "Output node (default: ${DEFAULT-VALUE}).")
    String outputs;

    @Option(names = "--dtypes", hidden = true, description = "Accepted and ignored, like the seed script.")
    String dtypes;

    @Option(names = "--overwrite", description = "Replace an existing version directory.")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
      try {
        ConvertedModel m = new GraphDefConverter().convert(importPath, exportDir, version, inputs,
            outputs, overwrite);
        out(spec).printf("converted %s -> %s (%d nodes kept, %d unused removed)%n", importPath,
            m.versionDir(), m.nodes(), m.removedNodes());
        return 0;
      } catch (ModelToolException e) {
        throw new CliException(e.getMessage());
      }
    }
  }

  @Command(name = "fetch", mixinStandardHelpOptions = true,
      description = "Download the seed's pretrained ResNet-50 frozen graph (needs internet), "
          + "print its SHA-256, verify it when --sha256 is given, and convert it.")
  static final class Fetch implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", description = "Model: resnet50.")
    String model;

    @Option(names = "--export_dir", required = true, description = "Model base directory.")
    Path exportDir;

    @Option(names = "--sha256", description = "Expected SHA-256 (hex) of the download.")
    String sha256;

    @Option(names = "--url", description = "Download from this URL instead of the seed's.")
    URI url;

    @Override
    public Integer call() throws Exception {
      if (!"resnet50".equals(model)) {
        throw CliException.usage("fetch knows only resnet50, found " + model);
      }
      try {
        FetchedModel f = new ModelFetcher().fetch(url != null ? url : ModelFetcher.SEED_RESNET50_URI,
            exportDir, Optional.ofNullable(sha256));
        out(spec).printf("downloaded %s (%,d bytes, sha256 %s) -> %s%n", f.source(), f.bytes(),
            f.sha256(), f.model().versionDir());
        return 0;
      } catch (ModelToolException e) {
        throw new CliException(e.getMessage());
      }
    }
  }

  @Command(name = "keygen", mixinStandardHelpOptions = true,
      description = "Write a new random 16-byte wrap key (AES-128, Gramine's format), mode 0600.")
  static final class Keygen implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, description = "Key file to create.")
    Path out;

    @Option(names = "--force", description = "Replace an existing key file.")
    boolean force;

    @Override
    public Integer call() throws Exception {
      if (Files.exists(out) && !force) {
        throw CliException.usage(out + " exists; refusing to replace a key (use --force)");
      }
      WrapKey k = WrapKey.generate(new SecureRandom());
      k.writeTo(out);
      out(spec).printf("wrote wrap key %s (id %s, mode 0600)%n", out, k.id());
      return 0;
    }
  }

  abstract static class KeyedCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-w", "--wrap_key"}, required = true, description = "16-byte wrap key file.")
    Path keyFile;

    @Option(names = {"-i", "--input"}, required = true, description = "Input file or directory.")
    Path input;

    @Option(names = {"-o", "--output"}, required = true,
        description = "Output file or directory (must not exist).")
    Path output;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    WrapKey key() {
      return ServeCommand.readKey(keyFile);
    }

    ProgressListener progress() {
      return quiet ? ProgressListener.NONE : new ProgressBar(spec.commandLine().getErr());
    }
  }

  @Command(name = "encrypt", mixinStandardHelpOptions = true,
      description = {"Encrypt a file or a SavedModel directory into Gramine protected files.",
          "Each file is bound to its path: '-o PATH' as typed (plus the relative path inside a "
              + "directory), like gramine-sgx-pf-crypt. The server requires the bound path to end "
              + "with <model dir>/<version dir>/<file>, e.g. -o models/resnet50-v15-fp32/1."})
  static final class Encrypt extends KeyedCommand {
    @Option(names = "--bound_path",
        description = "Bind to this path instead of the -o argument.")
    String boundPath;

    @Override
    public Integer call() throws Exception {
      WrapKey k = key();
      String bound = boundPath != null ? boundPath : output.toString();
      if (Files.exists(output)) {
        throw CliException.usage(output + " exists; refusing to overwrite it");
      }
      try {
        if (Files.isDirectory(input)) {
          var s = ProtectedDirectory.encrypt(input, output, bound, k, new SecureRandom(), progress());
          out(spec).printf("encrypted %d files (%,d bytes) from %s into %s, bound to %s/…%n",
              s.files(), s.plaintextBytes(), input, output, PathBinding.normalize(bound));
        } else {
          long n = new GraminePfWriter(k, new SecureRandom()).encryptFile(input, output, bound,
              progress());
          out(spec).printf("encrypted %s (%,d bytes) into %s, bound to %s%n", input, n, output,
              PathBinding.normalize(bound));
        }
        return 0;
      } catch (ProtectedFileException e) {
        throw new CliException(e.getMessage());
      }
    }
  }

  @Command(name = "decrypt", mixinStandardHelpOptions = true,
      description = "Decrypt protected files (a file or a directory). With --verify the embedded "
          + "path must equal the -i path as typed (Gramine's rule), or --bound_path.")
  static final class Decrypt extends KeyedCommand {
    @Option(names = "--verify", description = "Check the embedded path binding.")
    boolean verify;

    @Option(names = "--bound_path", description = "Expected bound path (implies --verify).")
    String boundPath;

    @Override
    public Integer call() throws Exception {
      WrapKey k = key();
      if (Files.exists(output)) {
        throw CliException.usage(output + " exists; refusing to overwrite it");
      }
      boolean check = verify || boundPath != null;
      PathBinding binding = !check ? PathBinding.insecureAny()
          : PathBinding.exact(boundPath != null ? boundPath : input.toString());
      try {
        if (Files.isDirectory(input)) {
          var s = ProtectedDirectory.decrypt(input, output, k, binding, progress());
          out(spec).printf("decrypted %d files (%,d bytes) into %s%s%n", s.files(),
              s.plaintextBytes(), output, check ? "" : " (path binding NOT checked; use --verify)");
        } else {
          byte[] plain = GraminePfReader.decrypt(input, k, binding);
          Path tmp = output.resolveSibling(output.getFileName() + ".tmp-" + System.nanoTime());
          try {
            Files.write(tmp, plain);
            Files.move(tmp, output, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
          } finally {
            java.util.Arrays.fill(plain, (byte) 0);
            Files.deleteIfExists(tmp);
          }
          out(spec).printf("decrypted %s into %s%s%n", input, output,
              check ? "" : " (path binding NOT checked; use --verify)");
        }
        return 0;
      } catch (ProtectedFileException e) {
        throw new CliException(e.getMessage());
      }
    }
  }

  @Command(name = "inspect", mixinStandardHelpOptions = true,
      description = "Describe a protected file (without the key) or a SavedModel version "
          + "directory (tags, signatures, inputs and outputs).")
  static final class Inspect implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", description = "Protected file, or SavedModel version directory.")
    Path path;

    @Override
    public Integer call() throws Exception {
      PrintWriter o = out(spec);
      if (Files.isRegularFile(path)) {
        if (!GraminePfReader.isProtectedFile(path)) {
          throw new CliException(path + " is not a Gramine protected file (expected the "
              + "GRAFS_PF file id and a size that is a multiple of 4096)");
        }
        ProtectedFileInfo i = GraminePfReader.inspect(path);
        o.printf("%s: Gramine protected file v%d.%d, %,d bytes in %d nodes, plaintext %,d..%,d "
            + "bytes, flags 0x%02x%s%s%n", path, i.majorVersion(), i.minorVersion(),
            i.physicalSizeBytes(), i.nodeCount(), i.minPlaintextBytes(), i.maxPlaintextBytes(),
            i.featureFlags(), i.supported() ? "" : " (NOT supported by ccserve)",
            i.layoutConsistent() ? "" : " (node count inconsistent: extra nodes appended?)");
        o.println("  the embedded path, exact size and contents need the wrap key "
            + "(ccserve model decrypt --verify)");
        return 0;
      }
      try {
        SavedModelInfo info = new SavedModelInspector().inspect(path);
        o.print(info.format());
        o.flush();
        return 0;
      } catch (ModelToolException e) {
        throw new CliException(e.getMessage());
      }
    }
  }

  /** A one-line progress bar on stderr for large files. */
  static final class ProgressBar implements ProgressListener {
    private final PrintWriter err;
    private int lastPercent = -1;

    ProgressBar(PrintWriter err) {
      this.err = err;
    }

    @Override
    public void onProgress(long done, long total) {
      if (total < 8L * 1024 * 1024) {
        return;
      }
      int p = (int) (done * 100 / Math.max(1, total));
      if (p != lastPercent) {
        lastPercent = p;
        int bars = p / 4;
        err.printf("\r[%-25s] %3d%% %,d/%,d bytes", "#".repeat(bars), p, done, total);
        if (done >= total) {
          err.println();
        }
        err.flush();
      }
    }
  }

}
