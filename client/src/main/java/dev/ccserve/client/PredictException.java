package dev.ccserve.client;

/**
 * The one failure type of the client library, for gRPC and REST alike: a canonical status code
 * name (gRPC's vocabulary: {@code UNAVAILABLE}, {@code INVALID_ARGUMENT}, ...; REST statuses are
 * mapped onto it) and a message that says what went wrong, including the TLS reason when a
 * handshake failed. Never carries tensor values or key material.
 */
public final class PredictException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String code;

  public PredictException(String code, String message, Throwable cause) {
    super(message.length() > 1024 ? message.substring(0, 1021) + "..." : message, cause);
    this.code = code;
  }

  /** The canonical status code name, e.g. {@code UNAVAILABLE}. */
  public String code() {
    return code;
  }
}
