package dev.ccserve.server.batching;

import dev.ccserve.api.tf.TensorProto;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One request waiting in a batch queue: its validated inputs, its row count (dimension 0 of every
 * input), when it was enqueued and its deadline (System.nanoTime() based), and the future its
 * caller waits on. Exactly one of the worker ({@link #take()}) and the caller ({@link #cancel()})
 * wins the task; a cancelled task is skipped when its batch runs. Thread-safe.
 */
final class BatchTask {
  private static final int QUEUED = 0;
  private static final int TAKEN = 1;
  private static final int CANCELLED = 2;

  final BatchKey key;
  final Map<String, TensorProto> inputs;
  final int rows;
  final long enqueuedNanos;
  /** Long.MAX_VALUE when the request has no deadline. */
  final long deadlineNanos;
  final CompletableFuture<Map<String, TensorProto>> result = new CompletableFuture<>();
  private final AtomicInteger state = new AtomicInteger(QUEUED);

  BatchTask(BatchKey key, Map<String, TensorProto> inputs, int rows, long enqueuedNanos,
      long deadlineNanos) {
    this.key = key;
    this.inputs = inputs;
    this.rows = rows;
    this.enqueuedNanos = enqueuedNanos;
    this.deadlineNanos = deadlineNanos;
  }

  /** Claims the task for a batch run; false if its caller gave up first. */
  boolean take() {
    return state.compareAndSet(QUEUED, TAKEN);
  }

  /** Withdraws the task before a worker takes it; false if it is already running or done. */
  boolean cancel() {
    return state.compareAndSet(QUEUED, CANCELLED);
  }

  boolean hasDeadline() {
    return deadlineNanos != Long.MAX_VALUE;
  }
}
