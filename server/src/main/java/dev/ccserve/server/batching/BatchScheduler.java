package dev.ccserve.server.batching;

import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServingException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A shared batch scheduler in the manner of TensorFlow's: one queue of batches per
 * {@link BatchKey}, served by {@code num_batch_threads} worker threads in round-robin order over
 * the queues. A task joins the newest open batch of its queue if it fits within max_batch_size,
 * else opens a new batch; at most max_enqueued_batches batches (open ones included, running ones
 * not) wait per queue, beyond which {@link #submit} fails with RESOURCE_EXHAUSTED. A batch is
 * ready when it is full, when a newer batch was opened behind it, or when batch_timeout_micros
 * have passed since it was opened (with 0, as soon as a worker is free). Workers sleep on a
 * condition (no busy waiting). {@link #close()} fails queued tasks with UNAVAILABLE and joins the
 * workers. Thread-safe; all state is guarded by one lock.
 */
final class BatchScheduler implements AutoCloseable {
  /** A batch being filled or waiting for a worker. Guarded by the scheduler's lock. */
  private static final class Batch {
    final List<BatchTask> tasks = new ArrayList<>();
    final long openedNanos;
    int rows;
    boolean closed;

    Batch(long openedNanos) {
      this.openedNanos = openedNanos;
    }
  }

  private final BatchingParameters params;
  private final long timeoutNanos;
  private final Consumer<List<BatchTask>> runner;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final LinkedHashMap<BatchKey, Deque<Batch>> queues = new LinkedHashMap<>();
  private final List<Thread> workers = new ArrayList<>();
  private boolean closed;

  /** Starts the workers; {@code runner} runs one batch and must complete every task's future. */
  BatchScheduler(BatchingParameters params, Consumer<List<BatchTask>> runner) {
    this.params = params;
    this.timeoutNanos = TimeUnit.MICROSECONDS.toNanos(params.batchTimeoutMicros());
    this.runner = runner;
    for (int i = 0; i < params.numBatchThreads(); i++) {
      Thread t = new Thread(this::work, params.threadPoolName() + "-" + i);
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }
  }

  /** Adds a task (rows &lt;= max_batch_size) to its queue. */
  void submit(BatchTask task) throws ServingException {
    lock.lock();
    try {
      if (closed) {
        throw new ServingException(Code.UNAVAILABLE, "the batch scheduler is shutting down");
      }
      Deque<Batch> q = queues.computeIfAbsent(task.key, k -> new ArrayDeque<>());
      Batch open = q.peekLast();
      if (open == null || open.closed || open.rows + task.rows > params.maxBatchSize()) {
        if (q.size() >= params.maxEnqueuedBatches()) {
          throw new ServingException(Code.RESOURCE_EXHAUSTED, "batch queue is full: "
              + q.size() + " batches of up to " + params.maxBatchSize() + " waiting");
        }
        if (open != null) {
          open.closed = true;
        }
        open = new Batch(System.nanoTime());
        q.addLast(open);
      }
      open.tasks.add(task);
      open.rows += task.rows;
      if (open.rows >= params.maxBatchSize()) {
        open.closed = true;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void work() {
    while (true) {
      List<BatchTask> batch;
      lock.lock();
      try {
        batch = awaitReadyBatch();
      } catch (InterruptedException e) {
        return;
      } finally {
        lock.unlock();
      }
      if (batch == null) {
        return;
      }
      runner.accept(batch);
    }
  }

  /** Called with the lock held; null once closed. */
  private List<BatchTask> awaitReadyBatch() throws InterruptedException {
    while (!closed) {
      long now = System.nanoTime();
      long waitNanos = Long.MAX_VALUE;
      Iterator<Map.Entry<BatchKey, Deque<Batch>>> it = queues.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<BatchKey, Deque<Batch>> e = it.next();
        Batch head = e.getValue().peekFirst();
        long due = head.openedNanos + timeoutNanos - now;
        if (head.closed || due <= 0) {
          e.getValue().pollFirst();
          it.remove();
          if (!e.getValue().isEmpty()) {
            queues.put(e.getKey(), e.getValue()); // to the back: round robin over queues
          }
          return head.tasks;
        }
        waitNanos = Math.min(waitNanos, due);
      }
      if (waitNanos == Long.MAX_VALUE) {
        changed.await();
      } else {
        changed.awaitNanos(waitNanos);
      }
    }
    return null;
  }

  /** Number of batches waiting in all queues (for tests and metrics). */
  int waitingBatches() {
    lock.lock();
    try {
      return queues.values().stream().mapToInt(Deque::size).sum();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    List<BatchTask> orphans = new ArrayList<>();
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      for (Deque<Batch> q : queues.values()) {
        q.forEach(b -> orphans.addAll(b.tasks));
      }
      queues.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    for (BatchTask t : orphans) {
      t.result.completeExceptionally(
          new ServingException(Code.UNAVAILABLE, "the server is shutting down"));
    }
    for (Thread w : workers) {
      try {
        w.join(TimeUnit.SECONDS.toMillis(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
