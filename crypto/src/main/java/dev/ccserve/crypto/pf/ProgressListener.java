package dev.ccserve.crypto.pf;

/**
 * Receives progress of a long encryption or decryption, e.g. to draw a progress bar. Called on the
 * working thread, roughly every MiB and once at the end of every file; {@code bytesTotal} is fixed
 * for one operation. An exception thrown here aborts the operation (and its output is removed).
 */
@FunctionalInterface
public interface ProgressListener {
  /** A listener that ignores progress. */
  ProgressListener NONE = (bytesDone, bytesTotal) -> { };

  void onProgress(long bytesDone, long bytesTotal);
}
