package dev.ccserve.server;

/**
 * Whether the server may answer requests yet, with the reason while it may not (for example
 * "waiting for the key broker"). gRPC health reports NOT_SERVING and REST answers 503 until
 * {@link #ready()} is called. Thread-safe.
 */
public final class Readiness {
  private volatile String notReadyReason;

  public Readiness(String initialReason) {
    this.notReadyReason = initialReason;
  }

  public boolean isReady() {
    return notReadyReason == null;
  }

  public String reason() {
    String r = notReadyReason;
    return r == null ? "ready" : r;
  }

  public void notReady(String reason) {
    notReadyReason = reason;
  }

  public void ready() {
    notReadyReason = null;
  }
}
