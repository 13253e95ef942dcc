package dev.ccserve.server.batching;

import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.SignatureDef;
import dev.ccserve.api.tf.TensorInfo;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.server.ServingApi;
import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServableHandle;
import dev.ccserve.server.core.ServingException;
import dev.ccserve.server.metrics.ServingMetrics;
import dev.ccserve.server.runtime.TensorCodec;
import dev.ccserve.server.runtime.TfSavedModel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@code --enable_batching} predictor: merges concurrent Predict requests for the same model
 * version, signature, output filter, input dtypes and non-batch dimensions along dimension 0, runs
 * each batch as one TensorFlow session run on a {@link BatchScheduler} worker, and hands every
 * request exactly its rows of each output. A request is run directly on the caller's thread,
 * unbatched, when it cannot be merged (it fails the signature checks, so TensorFlow's own error is
 * returned; an input has rank 0, zero rows, or dimension 0 differing between inputs) or when it
 * has more rows than max_batch_size. A request whose deadline passes while queued fails with
 * DEADLINE_EXCEEDED without running. Records batch sizes (padded, as run) and queue delays.
 * Thread-safe; {@link #close()} stops the workers and fails queued requests with UNAVAILABLE.
 */
public final class BatchingPredictor implements ServingApi.Predictor, AutoCloseable {
  private final BatchingParameters params;
  private final ServingMetrics metrics;
  private final BatchScheduler scheduler;

  public BatchingPredictor(BatchingParameters params, ServingMetrics metrics) {
    this.params = params;
    this.metrics = metrics;
    this.scheduler = new BatchScheduler(params, this::runBatch);
  }

  public BatchingParameters parameters() {
    return params;
  }

  @Override
  public Map<String, TensorProto> predict(ServableHandle<TfSavedModel> model, String signature,
      Map<String, TensorProto> inputs, List<String> outputFilter, long timeoutMillis)
      throws ServingException {
    long now = System.nanoTime();
    int rows = batchRows(model.get().signature(signature), inputs, outputFilter);
    if (rows <= 0 || rows > params.maxBatchSize()) {
      return model.get().predict(signature, inputs, outputFilter, timeoutMillis);
    }
    BatchTask task = new BatchTask(key(model, signature, inputs, outputFilter), inputs, rows, now,
        timeoutMillis > 0 ? now + TimeUnit.MILLISECONDS.toNanos(timeoutMillis) : Long.MAX_VALUE);
    scheduler.submit(task);
    return await(task);
  }

  private static Map<String, TensorProto> await(BatchTask task) throws ServingException {
    try {
      try {
        return task.hasDeadline()
            ? task.result.get(task.deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS)
            : task.result.get();
      } catch (TimeoutException e) {
        if (task.cancel()) {
          throw deadlineExceeded();
        }
        return task.result.get(); // already running: the run itself carries the deadline
      }
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ServingException se) {
        throw se;
      }
      throw new ServingException(Code.INTERNAL, "batched run failed: "
          + e.getCause().getClass().getSimpleName());
    } catch (InterruptedException e) {
      task.cancel();
      Thread.currentThread().interrupt();
      throw new ServingException(Code.CANCELLED, "interrupted while waiting in the batch queue");
    }
  }

  private static ServingException deadlineExceeded() {
    return new ServingException(Code.DEADLINE_EXCEEDED,
        "deadline exceeded while waiting in the batch queue; the request was not run");
  }

  /**
   * Dimension 0 shared by all inputs, or -1 when the request is not batchable (including every
   * request the direct path would reject, so that path reports the error).
   */
  static int batchRows(SignatureDef sig, Map<String, TensorProto> inputs,
      List<String> outputFilter) {
    if (!inputs.keySet().equals(sig.getInputsMap().keySet()) || inputs.isEmpty()
        || new HashSet<>(outputFilter).size() != outputFilter.size()
        || !sig.getOutputsMap().keySet().containsAll(outputFilter)) {
      return -1;
    }
    long rows = -1;
    for (Map.Entry<String, TensorProto> e : inputs.entrySet()) {
      TensorProto p = e.getValue();
      TensorInfo info = sig.getInputsMap().get(e.getKey());
      long[] dims;
      try {
        dims = TensorCodec.dims(e.getKey(), p.getTensorShape());
        TensorCodec.checkShape(e.getKey(), dims, info.getTensorShape());
      } catch (ServingException invalid) {
        return -1;
      }
      if (p.getDtype() != info.getDtype() || !TensorCodec.isSupported(p.getDtype())
          || dims.length == 0 || (rows >= 0 && dims[0] != rows) || !sizeMatches(p, dims)) {
        return -1;
      }
      rows = dims[0];
    }
    return rows > Integer.MAX_VALUE ? -1 : (int) rows;
  }

  private static boolean sizeMatches(TensorProto p, long[] dims) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    if (p.getDtype() != DataType.DT_STRING && !p.getTensorContent().isEmpty()) {
      return p.getTensorContent().size() == n * TensorCodec.elementSize(p.getDtype());
    }
    int count = BatchTensors.typedCount(p);
    return count == n || (count == 1 && n > 0);
  }

  private static BatchKey key(ServableHandle<TfSavedModel> model, String signature,
      Map<String, TensorProto> inputs, List<String> outputFilter) {
    List<BatchKey.InputSpec> specs = new ArrayList<>();
    for (Map.Entry<String, TensorProto> e : new TreeMap<>(inputs).entrySet()) {
      List<Long> inner = new ArrayList<>();
      for (int i = 1; i < e.getValue().getTensorShape().getDimCount(); i++) {
        inner.add(e.getValue().getTensorShape().getDim(i).getSize());
      }
      specs.add(new BatchKey.InputSpec(e.getKey(), e.getValue().getDtype(), inner));
    }
    return new BatchKey(model.get(), model.id().name(), model.id().version(), signature,
        outputFilter, specs);
  }

  /** Runs one batch on a worker thread; completes every task's future. */
  private void runBatch(List<BatchTask> batch) {
    long now = System.nanoTime();
    List<BatchTask> live = new ArrayList<>();
    int rows = 0;
    long latestDeadline = 0;
    for (BatchTask t : batch) {
      if (!t.take()) {
        continue; // its caller gave up
      }
      if (t.deadlineNanos - now <= 0) {
        t.result.completeExceptionally(deadlineExceeded());
        continue;
      }
      metrics.recordQueueDelay(t.key.modelName(), now - t.enqueuedNanos);
      live.add(t);
      rows += t.rows;
      latestDeadline = Math.max(latestDeadline, t.deadlineNanos);
    }
    if (live.isEmpty()) {
      return;
    }
    BatchKey key = live.get(0).key;
    int padded = params.paddedSize(rows);
    metrics.recordBatch(key.modelName(), padded);
    long timeoutMillis = latestDeadline == Long.MAX_VALUE ? 0
        : Math.max(1, TimeUnit.NANOSECONDS.toMillis(latestDeadline - now));
    try {
      if (live.size() == 1 && padded == rows) {
        live.get(0).result.complete(key.model().predict(key.signature(), live.get(0).inputs,
            key.outputFilter(), timeoutMillis));
        return;
      }
      Map<String, TensorProto> out = key.model().predict(key.signature(),
          BatchTensors.merge(live, padded), key.outputFilter(), timeoutMillis);
      List<Map<String, TensorProto>> parts = BatchTensors.split(out, live, padded);
      for (int i = 0; i < live.size(); i++) {
        live.get(i).result.complete(parts.get(i));
      }
    } catch (ServingException e) {
      live.forEach(t -> t.result.completeExceptionally(e));
    } catch (RuntimeException | Error e) {
      ServingException se = new ServingException(Code.INTERNAL,
          "batched run failed: " + e.getClass().getSimpleName());
      live.forEach(t -> t.result.completeExceptionally(se));
      if (e instanceof Error err) {
        throw err;
      }
    }
  }

  /** Batches waiting across all queues. */
  public int waitingBatches() {
    return scheduler.waitingBatches();
  }

  @Override
  public void close() {
    scheduler.close();
  }
}
