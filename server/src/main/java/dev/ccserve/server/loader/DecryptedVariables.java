package dev.ccserve.server.loader;

import dev.ccserve.crypto.key.WrapKey;
import dev.ccserve.crypto.pf.GraminePfReader;
import dev.ccserve.crypto.pf.PathBinding;
import dev.ccserve.crypto.pf.ProtectedFileException;
import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServingException;
import dev.ccserve.server.runtime.TfPartialRun;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.ByteDataBuffer;

/**
 * The variables of a {@link DirectRestorePlan}, decrypted from the protected checkpoint data files
 * straight into TensorFlow tensors (native memory), on background threads so that the work
 * overlaps TensorFlow's graph loading: {@link #start} returns at once, {@link #feedAndRestore}
 * waits, feeds every {@code RestoreV2} output and runs the restore op. Each thread reads its own
 * contiguous run of tensors with its own reader, which authenticates every node through the
 * file's Merkle tree. {@link #close} frees every tensor (after a restore, TensorFlow holds its own
 * references) and wipes the Java-side buffers. Not thread-safe; one per load.
 */
final class DecryptedVariables implements AutoCloseable {
  private static final int CHUNK = 256 * 1024;
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final DirectRestorePlan plan;
  private final Tensor[] tensors;
  private final List<CompletableFuture<Void>> work = new ArrayList<>();
  private final long started = System.nanoTime();
  private final java.util.concurrent.atomic.AtomicLong decryptedAt = new java.util.concurrent.atomic.AtomicLong();
  private long graphLoadedAt;
  private long executorsReadyAt;
  private String partialRunRefused;
  private long restoredAt;

  private DecryptedVariables(DirectRestorePlan plan) {
    this.plan = plan;
    this.tensors = new Tensor[plan.feeds().size()];
  }

  /**
   * Starts decrypting on up to {@code threads} threads; {@code shardFile} maps a shard number to
   * its protected data file and {@code binding} a file to the path its metadata must carry.
   */
  static DecryptedVariables start(DirectRestorePlan plan, IntFunction<Path> shardFile,
      java.util.function.Function<Path, PathBinding> binding, WrapKey key, int threads) {
    DecryptedVariables v = new DecryptedVariables(plan);
    List<DirectRestorePlan.Feed> feeds = plan.feeds();
    Integer[] order = new Integer[feeds.size()];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, Comparator.<Integer>comparingInt(i -> feeds.get(i).entry().shard())
        .thenComparingLong(i -> feeds.get(i).entry().offset()));
    long total = Math.max(1, plan.bytes());
    int n = Math.max(1, Math.min(threads, feeds.size()));
    List<List<Integer>> parts = new ArrayList<>();
    long done = 0;
    List<Integer> current = new ArrayList<>();
    for (Integer i : order) {
      current.add(i);
      done += feeds.get(i).entry().size();
      if (parts.size() < n - 1 && done >= total * (parts.size() + 1) / n) {
        parts.add(current);
        current = new ArrayList<>();
      }
    }
    if (!current.isEmpty()) {
      parts.add(current);
    }
    for (List<Integer> part : parts) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      Thread t = new Thread(() -> {
        try {
          v.decrypt(part, shardFile, binding, key);
          v.decryptedAt.accumulateAndGet(System.nanoTime(), Math::max);
          f.complete(null);
        } catch (Throwable e) {
          f.completeExceptionally(e);
        }
      }, "ccserve-decrypt-" + THREADS.incrementAndGet());
      t.setDaemon(true);
      t.start();
      v.work.add(f);
    }
    return v;
  }

  private void decrypt(List<Integer> part, IntFunction<Path> shardFile,
      java.util.function.Function<Path, PathBinding> binding, WrapKey key)
      throws ProtectedFileException {
    byte[] chunk = new byte[CHUNK];
    GraminePfReader reader = null;
    int readerShard = -1;
    try {
      for (int i : part) {
        DirectRestorePlan.Feed feed = plan.feeds().get(i);
        TensorBundleIndex.Entry e = feed.entry();
        if (e.shard() != readerShard) {
          if (reader != null) {
            reader.close();
          }
          Path file = shardFile.apply(e.shard());
          reader = GraminePfReader.open(file, key, binding.apply(file));
          readerShard = e.shard();
        }
        if (e.offset() + e.size() > reader.size()) {
          throw new IllegalStateException("tensor " + e.name() + " ends at byte "
              + (e.offset() + e.size()) + " of a " + reader.size() + "-byte data file");
        }
        Tensor t = Tensor.of(feed.type(), Shape.of(e.shape()), e.size());
        tensors[i] = t;
        ByteDataBuffer data = t.asRawTensor().data();
        reader.seek(e.offset());
        long at = 0;
        while (at < e.size()) {
          int len = (int) Math.min(CHUNK, e.size() - at);
          int got = reader.read(chunk, 0, len);
          if (got != len) {
            throw new IllegalStateException("data file ended inside tensor " + e.name());
          }
          data.slice(at, len).write(chunk, 0, len);
          at += len;
        }
      }
    } finally {
      Arrays.fill(chunk, (byte) 0);
      if (reader != null) {
        reader.close();
      }
    }
  }

  /**
   * Waits for the decryption, feeds the tensors and runs the plan's restore op in {@code s}. The
   * restore's executors are built and started first, as a {@link TfPartialRun}, while the
   * decryption threads are still at work (building them is most of a first run's cost); when
   * partial runs are unavailable, or the graph has no {@code completion} node for the restore op
   * ({@link TfPartialRun#completionNode}), this waits and runs the restore op as one ordinary
   * run.
   */
  void feedAndRestore(Session s, String missingPrefix, Optional<String> completion)
      throws ServingException {
    graphLoadedAt = System.nanoTime();
    List<DirectRestorePlan.Feed> feeds = plan.feeds();
    List<TfPartialRun.Endpoint> inputs = new ArrayList<>(feeds.size() + 1);
    for (DirectRestorePlan.Feed f : feeds) {
      inputs.add(new TfPartialRun.Endpoint(f.node(), f.output()));
    }
    TfPartialRun.Endpoint prefixInput = TfPartialRun.Endpoint.parse(plan.filenameTensor());
    inputs.add(prefixInput);
    TfPartialRun run = null;
    if (!TfPartialRun.available()) {
      partialRunRefused = TfPartialRun.unavailable();
    } else if (completion.isEmpty()) {
      partialRunRefused = "saved_model.pb's outline has no graph or saver to add a completion "
          + "node to";
    } else {
      try {
        run = TfPartialRun.setup(s, inputs, List.of(plan.restoreOp()), completion.get());
      } catch (RuntimeException e) {
        partialRunRefused = e.getMessage();
      }
    }
    executorsReadyAt = System.nanoTime();
    // The prefix is fed a path that does not exist: should anything still try to read the
    // checkpoint file, the restore fails instead of reading something else.
    try (TfPartialRun closeLast = run;
        org.tensorflow.types.TString prefix =
            org.tensorflow.types.TString.scalarOf(missingPrefix)) {
      awaitDecryption();
      if (run != null) {
        int[] all = new int[inputs.size()];
        Arrays.setAll(all, i -> i);
        Tensor[] values = Arrays.copyOf(tensors, inputs.size());
        values[feeds.size()] = prefix;
        run.feed(all, values);
      } else {
        Session.Runner r = s.runner();
        for (int i = 0; i < feeds.size(); i++) {
          r.feed(feeds.get(i).node(), feeds.get(i).output(), tensors[i]);
        }
        r.feed(prefixInput.node(), prefixInput.index(), prefix);
        r.addTarget(plan.restoreOp()).run();
      }
    }
    restoredAt = System.nanoTime();
  }

  /** Milliseconds from {@link #start}: decryption done, graph loaded, variables restored. */
  String timings() {
    return String.format(java.util.Locale.ROOT, "decrypted on %d thread(s) in %d ms, graph "
        + "loaded in %d ms, restore %s at %d ms, done at %d ms", work.size(),
        ms(decryptedAt.get()), ms(graphLoadedAt), partialRunRefused == null
            ? "executors ready" : "run as one ordinary run (no partial run: "
            + partialRunRefused + "); started", ms(executorsReadyAt), ms(restoredAt));
  }

  private long ms(long at) {
    return at == 0 ? -1 : (at - started) / 1_000_000;
  }

  private void awaitDecryption() throws ServingException {
    for (CompletableFuture<Void> f : work) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ServingException(Code.CANCELLED, "interrupted while decrypting variables");
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof ProtectedFileException p) {
          throw new ServingException(Code.DATA_LOSS, "cannot open protected file: "
              + p.getMessage());
        }
        throw new ServingException(Code.DATA_LOSS, "cannot restore the variables from the "
            + "protected checkpoint: " + c.getMessage());
      }
    }
  }

  /** Waits for the threads (so none writes into a freed tensor), then frees every tensor. */
  @Override
  public void close() {
    for (CompletableFuture<Void> f : work) {
      try {
        f.join();
      } catch (RuntimeException ignored) {
        // Failures were reported by feedAndRestore; here only the tensors matter.
      }
    }
    for (int i = 0; i < tensors.length; i++) {
      if (tensors[i] != null) {
        tensors[i].close();
        tensors[i] = null;
      }
    }
  }
}
