package dev.ccserve.server.core;

/**
 * The lifecycle of one servable version, in TF Serving's vocabulary and numbering
 * ({@code ModelVersionStatus.State}). A version that failed to load ends in {@link #END} with a
 * non-OK status.
 */
public enum ServableState {
  START(10),
  LOADING(20),
  AVAILABLE(30),
  UNLOADING(40),
  END(50);

  private final int protoValue;

  ServableState(int protoValue) {
    this.protoValue = protoValue;
  }

  public int protoValue() {
    return protoValue;
  }
}
