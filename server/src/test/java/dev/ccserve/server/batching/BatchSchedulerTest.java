package dev.ccserve.server.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServingException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The scheduler with a runner that records batches and can be held, on real threads. */
class BatchSchedulerTest {
  private static final BatchKey KEY = new BatchKey(null, "m", 1, "serving_default", List.of(),
      List.of());
  private static final BatchKey OTHER = new BatchKey(null, "m", 1, "other", List.of(), List.of());

  private final BlockingQueue<List<BatchTask>> ran = new LinkedBlockingQueue<>();
  private final CountDownLatch release = new CountDownLatch(1);

  private void record(List<BatchTask> batch) {
    ran.add(batch);
    try {
      release.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    batch.forEach(t -> t.result.complete(Map.of()));
  }

  private static BatchTask task(BatchKey key, int rows) {
    return new BatchTask(key, Map.of(), rows, System.nanoTime(), Long.MAX_VALUE);
  }

  @Test
  void submit_queueFull_resourceExhausted() throws Exception {
    try (BatchScheduler s = new BatchScheduler(
        new BatchingParameters(2, 0, 1, 1, "t", List.of()), this::record)) {
      s.submit(task(KEY, 2));
      assertThat(ran.poll(5, TimeUnit.SECONDS)).hasSize(1); // the worker is now held
      s.submit(task(KEY, 1)); // opens the one batch allowed to wait
      s.submit(task(KEY, 1)); // fills it
      assertThatThrownBy(() -> s.submit(task(KEY, 1)))
          .isInstanceOfSatisfying(ServingException.class,
              e -> assertThat(e.code()).isEqualTo(Code.RESOURCE_EXHAUSTED))
          .hasMessage("batch queue is full: 1 batches of up to 2 waiting");
      s.submit(task(OTHER, 1)); // another signature has its own queue
      release.countDown();
      assertThat(ran.poll(5, TimeUnit.SECONDS)).hasSize(2);
      assertThat(ran.poll(5, TimeUnit.SECONDS)).hasSize(1);
    }
  }

  @Test
  void submit_whileWorkerBusy_tasksMergedUpToMaxBatchSize() throws Exception {
    try (BatchScheduler s = new BatchScheduler(
        new BatchingParameters(5, 0, 10, 1, "t", List.of()), this::record)) {
      s.submit(task(KEY, 1));
      assertThat(ran.poll(5, TimeUnit.SECONDS)).hasSize(1);
      for (int rows : new int[] {2, 2, 1, 3, 4}) {
        s.submit(task(KEY, rows));
      }
      assertThat(s.waitingBatches()).isEqualTo(3); // [2,2,1] [3] [4]
      release.countDown();
      assertThat(ran.poll(5, TimeUnit.SECONDS)).extracting(t -> t.rows).containsExactly(2, 2, 1);
      assertThat(ran.poll(5, TimeUnit.SECONDS)).extracting(t -> t.rows).containsExactly(3);
      assertThat(ran.poll(5, TimeUnit.SECONDS)).extracting(t -> t.rows).containsExactly(4);
    }
  }

  @Test
  void submit_timeoutSet_batchWaitsForTimeoutThenRuns() throws Exception {
    release.countDown();
    try (BatchScheduler s = new BatchScheduler(
        new BatchingParameters(100, 200_000, 10, 1, "t", List.of()), this::record)) {
      long t0 = System.nanoTime();
      s.submit(task(KEY, 1));
      Thread.sleep(20);
      s.submit(task(KEY, 1));
      List<BatchTask> b = ran.poll(5, TimeUnit.SECONDS);
      long waitedMs = (System.nanoTime() - t0) / 1_000_000;
      assertThat(b).hasSize(2);
      assertThat(waitedMs).isBetween(150L, 3000L);
    }
  }

  @Test
  void close_queuedTasks_failUnavailable() throws Exception {
    BatchScheduler s = new BatchScheduler(
        new BatchingParameters(1, 0, 10, 1, "t", List.of()), this::record);
    s.submit(task(KEY, 1));
    assertThat(ran.poll(5, TimeUnit.SECONDS)).hasSize(1);
    BatchTask queued = task(KEY, 1);
    s.submit(queued);
    Thread closer = new Thread(s::close);
    closer.start();
    assertThatThrownBy(() -> queued.result.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(ServingException.class);
    release.countDown();
    closer.join(5000);
    assertThat(closer.isAlive()).isFalse();
    assertThatThrownBy(() -> s.submit(task(KEY, 1))).isInstanceOfSatisfying(
        ServingException.class, e -> assertThat(e.code()).isEqualTo(Code.UNAVAILABLE));
  }
}
