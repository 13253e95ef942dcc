package dev.ccserve.server.loader;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.ccserve.crypto.key.WrapKey;
import dev.ccserve.crypto.pf.GraminePfReader;
import dev.ccserve.crypto.pf.PathBinding;
import dev.ccserve.crypto.pf.ProtectedFileException;
import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.Loader;
import dev.ccserve.server.core.ServingException;
import dev.ccserve.server.runtime.RamFileSystem;
import dev.ccserve.server.runtime.TfPartialRun;
import dev.ccserve.server.runtime.TfSavedModel;
import dev.ccserve.server.runtime.TfSessionOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.proto.SavedModel;

/**
 * Loads a SavedModel version directory whose files are Gramine protected files (PF v2): each file
 * is authenticated and decrypted into memory only, so plaintext never reaches disk. The graph and
 * assets go to TensorFlow's {@code ram://} file system and the SavedModel is loaded from there;
 * the variables, when the model's saver allows it ({@link DirectRestorePlan}), are decrypted on
 * background threads straight into tensors while TensorFlow loads the graph, and fed to the
 * restore op (no checkpoint file at all, one copy fewer, the work overlapped); otherwise they go
 * to {@code ram://} too and TensorFlow restores them from there. Every regular file in the
 * directory must be a protected file (a plaintext file swapped in by the host is refused), and
 * each must be bound to its own path: the embedded path has to end with
 * {@code <model dir>/<version dir>/<relative path>}, so files cannot be swapped within or across
 * versions. After loading, the in-memory copies are released.
 */
public final class ProtectedSavedModelLoader implements Loader<TfSavedModel> {
  private static final Logger log = LoggerFactory.getLogger(ProtectedSavedModelLoader.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String SAVED_MODEL = "saved_model.pb";
  private static final String VARIABLES = "variables";

  private final Path versionDir;
  private final Supplier<WrapKey> key;
  private final TfSessionOptions options;
  private final RamFileSystem ram;
  private final int decryptThreads;
  private volatile String lastRestore = "";

  public ProtectedSavedModelLoader(Path versionDir, Supplier<WrapKey> key,
      TfSessionOptions options, RamFileSystem ram) {
    this(versionDir, key, options, ram, defaultDecryptThreads());
  }

  /**
   * @param decryptThreads threads that decrypt variables straight into tensors; {@link #AUTO}
   *     picks them by the variables' size ({@link #autoDecryptThreads}); 0 always restores from a
   *     ram:// checkpoint (the path taken anyway when the model does not allow the direct one)
   */
  public ProtectedSavedModelLoader(Path versionDir, Supplier<WrapKey> key,
      TfSessionOptions options, RamFileSystem ram, int decryptThreads) {
    this.versionDir = versionDir;
    this.key = key;
    this.options = options;
    this.ram = ram;
    this.decryptThreads = decryptThreads;
  }

  /** {@code decryptThreads} value: choose by the variables' size. */
  public static final int AUTO = -1;

  /** Variable bytes one decryption thread takes on, for {@link #AUTO}. */
  static final long BYTES_PER_DECRYPT_THREAD = 128L << 20;

  /**
   * Threads decrypting variables: system property {@code ccserve.decrypt_threads} (0 forces the
   * ram:// checkpoint path), else {@link #AUTO}.
   */
  static int defaultDecryptThreads() {
    return Integer.getInteger("ccserve.decrypt_threads", AUTO);
  }

  /**
   * One thread per {@value #BYTES_PER_DECRYPT_THREAD}-byte share of the variables, at least 1 and
   * at most the CPUs (and 4). The graph thread's load and restore set-up take a roughly fixed
   * time, on this model size about what one thread needs to decrypt 128 MiB (≈ 600 MB/s per
   * core with the JDK's AES-GCM): more threads than that finish no sooner, they only take CPU
   * from the graph thread, which is the critical path.
   */
  static int autoDecryptThreads(long variableBytes, int cpus) {
    long wanted = (variableBytes + BYTES_PER_DECRYPT_THREAD - 1) / BYTES_PER_DECRYPT_THREAD;
    return (int) Math.max(1, Math.min(wanted, Math.min(4, cpus)));
  }

  @Override
  public TfSavedModel load() throws ServingException {
    if (decryptThreads < AUTO) {
      throw new ServingException(Code.INVALID_ARGUMENT, "-Dccserve.decrypt_threads must be a "
          + "number of threads, 0 (restore from a ram:// checkpoint) or -1 (choose by the "
          + "variables' size), not " + decryptThreads);
    }
    WrapKey k = key.get();
    if (k == null) {
      throw new ServingException(Code.FAILED_PRECONDITION, versionDir + " holds protected "
          + "(encrypted) files but no model key is available: give --model_key_file, or run in "
          + "confidential mode so the key broker releases it");
    }
    List<Path> files = regularFiles();
    for (Path f : files) {
      if (!GraminePfReader.isProtectedFile(f)) {
        throw new ServingException(Code.DATA_LOSS, "file " + rel(f) + " in " + versionDir
            + " is not a protected file; every file of an encrypted model version must be "
            + "encrypted (was a plaintext file put in its place?)");
      }
    }
    if (!files.contains(versionDir.resolve(SAVED_MODEL))) {
      throw new ServingException(Code.NOT_FOUND, "protected model version " + versionDir
          + " has no " + SAVED_MODEL);
    }
    Path index = versionDir.resolve(VARIABLES).resolve("variables.index");
    Path pb = versionDir.resolve(SAVED_MODEL);
    byte[] pbPlain = decrypt(pb, k);
    Optional<SavedModelOutline> outline = SavedModelOutline.read(pbPlain,
        Set.copyOf(options.savedModelTags()));
    Optional<String> refused = outline.flatMap(DirectRestorePlan::quickRefusal);
    if (decryptThreads != 0 && files.contains(index) && refused.isEmpty()) {
      Optional<TfSavedModel> m = loadWithDirectRestore(files, k, pbPlain, outline); // wipes it
      if (m.isPresent()) {
        return m.get();
      }
      pbPlain = decrypt(pb, k);
    } else if (refused.isPresent()) {
      lastRestore = "ram:// checkpoint, decided before loading: " + refused.get();
      log.info("{}: restoring variables from an in-memory ram:// checkpoint: {}", versionDir,
          refused.get());
    }
    return loadFromRam(files, k, new HashMap<>(Map.of(pb, pbPlain)), newRamDir(), b -> { });
  }

  /**
   * A fresh name for the restore's completion node: random, so no model's node can clash, and
   * without an underscore before a digit, because TF Java's Graph reads any {@code name_<digits>}
   * as a name-scope counter and fails on numbers beyond an int.
   */
  static String completionNodeName() {
    return "ccserve_restore_done_x" + HexFormat.of().formatHex(RANDOM.generateSeed(8));
  }

  private static String newRamDir() {
    return RamFileSystem.SCHEME + "ccserve/" + HexFormat.of().formatHex(RANDOM.generateSeed(8));
  }

  /**
   * The direct path, speculatively: TensorFlow starts loading the graph (every file but the
   * variables, from {@code ram://}) on its own thread at once, while this thread reads the
   * checkpoint index, checks the plan and starts decrypting the variables; the graph thread then
   * feeds them to the restore op. Empty when the model does not allow it (the graph thread's
   * bundle is closed; the caller restores from a {@code ram://} checkpoint instead).
   */
  private Optional<TfSavedModel> loadWithDirectRestore(List<Path> files, WrapKey k,
      byte[] pbPlain, Optional<SavedModelOutline> outline) throws ServingException {
    long t0 = System.nanoTime();
    Path pb = versionDir.resolve(SAVED_MODEL);
    // The graph TensorFlow loads gains a node that completes the restore's partial run (see
    // TfPartialRun): spliced into saved_model.pb's bytes, so no graph is parsed here.
    String completion = completionNodeName();
    Optional<byte[]> spliced = outline.filter(o -> !o.restoreOp().isEmpty())
        .flatMap(o -> o.withNode(TfPartialRun.completionNode(completion,
            List.of(o.restoreOp()))));
    byte[] pbForPlan = pbPlain; // wiped once planned
    byte[] pbForGraph = spliced.orElseGet(pbPlain::clone); // the graph thread wipes it
    String ramDir = newRamDir();
    List<Path> graphFiles = files.stream().filter(f -> !rel(f).startsWith(VARIABLES + "/"))
        .toList();
    CompletableFuture<Optional<DecryptedVariables>> variables = new CompletableFuture<>();
    CompletableFuture<TfSavedModel> model = new CompletableFuture<>();
    Map<Path, byte[]> graphEarly = new HashMap<>(Map.of(pb, pbForGraph));
    Thread graph = new Thread(() -> {
      try {
        model.complete(loadFromRam(graphFiles, k, graphEarly, ramDir, b -> {
          Optional<DecryptedVariables> v = join(variables); // null: planning failed
          if (v == null || v.isEmpty()) {
            throw new ServingException(Code.ABORTED, "no direct restore for this model");
          }
          v.get().feedAndRestore(b.session(), ramDir + "/" + VARIABLES + "/variables",
              spliced.map(x -> completion));
        }));
      } catch (Throwable e) {
        model.completeExceptionally(e);
      }
    }, "ccserve-load-graph");
    graph.setDaemon(true);
    graph.start();
    DecryptedVariables vars = null;
    long planMs;
    try {
      Optional<DirectRestorePlan> plan;
      try {
        plan = directRestorePlan(files, k, pbForPlan);
      } finally {
        Arrays.fill(pbForPlan, (byte) 0);
      }
      planMs = (System.nanoTime() - t0) / 1_000_000;
      if (plan.isPresent()) {
        DirectRestorePlan p = plan.get();
        vars = DecryptedVariables.start(p, shard -> versionDir.resolve(VARIABLES).resolve(
            TensorBundleIndex.dataFileName("variables", shard, p.numShards())), this::binding,
            k, decryptThreads == AUTO ? autoDecryptThreads(p.bytes(),
                Runtime.getRuntime().availableProcessors()) : decryptThreads);
      }
      variables.complete(Optional.ofNullable(vars));
    } catch (ServingException | RuntimeException e) {
      variables.completeExceptionally(e);
      closeQuietly(join(model));
      throw e;
    }
    try (DecryptedVariables closeLast = vars) {
      if (vars == null) {
        closeQuietly(join(model)); // the graph thread fails with ABORTED; nothing to keep
        return Optional.empty();
      }
      TfSavedModel m = get(model);
      lastRestore = "direct: plan in " + planMs + " ms, then variables " + vars.timings();
      log.info("{}: {}", versionDir, lastRestore);
      return Optional.of(m);
    }
  }

  /** The value, or null when it completed exceptionally (that error is reported elsewhere). */
  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
      return null;
    }
  }

  /** The value of {@code f}, or the ServingException (or unchecked exception) it failed with. */
  private static <T> T get(CompletableFuture<T> f) throws ServingException {
    try {
      return f.join();
    } catch (java.util.concurrent.CompletionException e) {
      Throwable c = e.getCause();
      if (c instanceof ServingException se) {
        throw se;
      }
      if (c instanceof RuntimeException re) {
        throw re;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new ServingException(Code.INTERNAL, "loading the graph failed: " + c);
    }
  }

  private static void closeQuietly(TfSavedModel m) {
    if (m != null) {
      m.close();
    }
  }

  /**
   * Decrypts {@code files} into {@code ram://} (reusing the plaintexts already in {@code early}),
   * loads the SavedModel from there with {@code afterLoad}, and releases the in-memory files.
   */
  private TfSavedModel loadFromRam(List<Path> files, WrapKey k, Map<Path, byte[]> early,
      String ramDir, TfSavedModel.BundleStep afterLoad) throws ServingException {
    List<String> written = new ArrayList<>();
    byte[] warmup = null;
    try {
      for (Path f : files) {
        String rel = rel(f);
        byte[] plain = early.containsKey(f) ? early.get(f) : decrypt(f, k);
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
      return TfSavedModel.load(ramDir, options, warmup, afterLoad);
    } finally {
      early.values().forEach(plain -> Arrays.fill(plain, (byte) 0)); // also those never reached
      written.forEach(ram::release);
      if (warmup != null) {
        Arrays.fill(warmup, (byte) 0);
      }
    }
  }

  /**
   * The plan to feed the variables straight from the protected checkpoint, when this model allows
   * one (see {@link DirectRestorePlan}); the plaintexts of saved_model.pb and the index are left
   * in {@code early}. Empty (with the reason logged) means: restore from a ram:// checkpoint.
   */
  private Optional<DirectRestorePlan> directRestorePlan(List<Path> files, WrapKey k,
      byte[] savedModelPb) throws ServingException {
    Path index = versionDir.resolve(VARIABLES).resolve("variables.index");
    byte[] indexPlain = decrypt(index, k);
    TensorBundleIndex.Parsed parsed = TensorBundleIndex.parse(indexPlain);
    Arrays.fill(indexPlain, (byte) 0);
    String why = parsed.unsupported();
    if (parsed.index().isPresent()) {
      TensorBundleIndex idx = parsed.index().get();
      DirectRestorePlan.Result r;
      try {
        r = DirectRestorePlan.of(SavedModel.parseFrom(savedModelPb),
            Set.copyOf(options.savedModelTags()), idx);
      } catch (InvalidProtocolBufferException e) {
        r = new DirectRestorePlan.Result(Optional.empty(), SAVED_MODEL + " does not parse");
      }
      why = r.unsupported();
      for (int shard = 0; r.plan().isPresent() && shard < idx.numShards(); shard++) {
        Path data = versionDir.resolve(VARIABLES).resolve(TensorBundleIndex.dataFileName(
            "variables", shard, idx.numShards()));
        if (!files.contains(data)) {
          r = new DirectRestorePlan.Result(Optional.empty(), "data file " + rel(data)
              + " is missing");
          why = r.unsupported();
        }
      }
      if (r.plan().isPresent()) {
        log.info("{}: decrypting {} variables ({} bytes) straight into tensors", versionDir,
            r.plan().get().feeds().size(), r.plan().get().bytes());
        return r.plan();
      }
    }
    lastRestore = "ram:// checkpoint after a speculative graph load: " + why;
    log.info("{}: restoring variables from an in-memory ram:// checkpoint: {}", versionDir, why);
    return Optional.empty();
  }

  private byte[] decrypt(Path f, WrapKey k) throws ServingException {
    try {
      return GraminePfReader.decrypt(f, k, binding(f));
    } catch (ProtectedFileException e) {
      throw new ServingException(Code.DATA_LOSS, "cannot open protected file " + f + ": "
          + e.getMessage());
    }
  }

  /** The path {@code f}'s metadata must end with: model dir / version dir / relative path. */
  private PathBinding binding(Path f) {
    return PathBinding.suffix(versionDir.getParent().getFileName() + "/"
        + versionDir.getFileName() + "/" + rel(f));
  }

  private String rel(Path f) {
    return versionDir.relativize(f).toString().replace('\\', '/');
  }

  private List<Path> regularFiles() throws ServingException {
    try (Stream<Path> s = Files.walk(versionDir)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      throw new ServingException(Code.NOT_FOUND, "cannot list " + versionDir + ": " + e);
    }
  }

  /**
   * How the last load restored its variables ("direct: …" with timings, or "ram:// checkpoint …"
   * with the reason); empty before a load or for a version without variables. For tests.
   */
  String lastRestore() {
    return lastRestore;
  }

  @Override
  public String describe() {
    return "protected SavedModel " + versionDir;
  }
}
