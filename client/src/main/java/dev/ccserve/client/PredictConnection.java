package dev.ccserve.client;

/**
 * One simulated client connection of the load generator: it owns its transport (a gRPC channel or
 * an HTTP client) and a prepared request, and sends that request on each call. Used by one thread.
 */
interface PredictConnection extends AutoCloseable {
  /** Sends the prepared request; returns a {@code PredictResponse} or a JSON tree. */
  Object send();

  @Override
  void close();

  /** Opens connection number {@code task}. */
  interface Factory {
    PredictConnection open(int task);
  }
}
