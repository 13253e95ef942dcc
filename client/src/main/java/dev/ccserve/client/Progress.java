package dev.ccserve.client;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicLong;

/** A one-line progress bar on stderr for {@code --quiet}, redrawn every 250 ms by a daemon thread. */
final class Progress {
  private static final int WIDTH = 30;
  private final PrintWriter err;
  private final long total;
  private final AtomicLong done;
  private final long startNanos = System.nanoTime();
  private final Thread thread;
  private volatile boolean finished;

  Progress(PrintWriter err, long total, AtomicLong done) {
    this.err = err;
    this.total = total;
    this.done = done;
    this.thread = new Thread(this::loop, "ccserve-progress");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    while (!finished) {
      draw();
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private synchronized void draw() {
    long d = done.get();
    double secs = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
    String rate = String.format("%.1f req/s", d / secs);
    if (total > 0) {
      int filled = (int) Math.min(WIDTH, d * WIDTH / total);
      err.print("\r[" + "#".repeat(filled) + "-".repeat(WIDTH - filled) + "] " + d + "/" + total + " " + rate);
    } else {
      err.print("\r" + d + " requests, " + rate);
    }
    err.flush();
  }

  void finish() {
    finished = true;
    thread.interrupt();
    try {
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    draw();
    err.println();
    err.flush();
  }
}
