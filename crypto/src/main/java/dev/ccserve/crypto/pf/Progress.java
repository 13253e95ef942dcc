package dev.ccserve.crypto.pf;

/** Accumulates bytes done over one operation and reports to a listener about every MiB. */
final class Progress {
  private static final long REPORT_EVERY_BYTES = 1L << 20;

  private final ProgressListener listener;
  private final long total;
  private long done;
  private long lastReported;

  Progress(ProgressListener listener, long total) {
    this.listener = listener == null ? ProgressListener.NONE : listener;
    this.total = total;
  }

  void add(long bytes) {
    done += bytes;
    if (done - lastReported >= REPORT_EVERY_BYTES) {
      report();
    }
  }

  void report() {
    lastReported = done;
    listener.onProgress(done, total);
  }
}
