package dev.ccserve.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Bridges SIGTERM/SIGINT to a long-running command: {@link #await()} returns when the JVM starts
 * shutting down, and the shutdown hook waits (up to 15 s) until the command reports
 * {@link #closed()}, so servers drain and close before the process exits.
 */
final class ShutdownSignal {
  private final CountDownLatch stop = new CountDownLatch(1);
  private final CountDownLatch done = new CountDownLatch(1);

  static ShutdownSignal install() {
    ShutdownSignal s = new ShutdownSignal();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      s.stop.countDown();
      try {
        s.done.await(15, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "ccserve-shutdown"));
    return s;
  }

  void await() throws InterruptedException {
    stop.await();
  }

  void closed() {
    done.countDown();
  }
}
