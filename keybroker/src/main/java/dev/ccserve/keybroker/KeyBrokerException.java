package dev.ccserve.keybroker;

import java.util.Objects;

/**
 * The one exception type of the key broker boundary, on both sides: the broker refuses to start
 * (bad policy, secret files readable by others, missing CA material) and the client fails to
 * provision (the broker denied it, or stayed unreachable past the retry budget).
 *
 * <p>{@link #kind()} says which; for a {@link Kind#DENIED} client failure {@link #reason()} carries
 * the broker's reason (e.g. {@code "MEASUREMENT_MISMATCH at policy.mr_enclave"}). Messages say what
 * was expected and what was found and never contain secret bytes.
 */
public final class KeyBrokerException extends Exception {
  private static final long serialVersionUID = 1L;
  private static final int MAX_MESSAGE = 1024;

  /** What went wrong. */
  public enum Kind {
    /** Broker start-up or client set-up: invalid policy, CA, secrets, options. */
    CONFIGURATION,
    /** The broker refused the request after looking at it (attestation, policy, CSR). Not retried. */
    DENIED,
    /** The broker could not be reached or answered with a transient error within the budget. */
    UNAVAILABLE,
    /** The peer violated the protocol (malformed answer, wrong sizes). */
    PROTOCOL
  }

  private final Kind kind;
  private final String reason;

  public KeyBrokerException(Kind kind, String message) {
    this(kind, "", message, null);
  }

  public KeyBrokerException(Kind kind, String message, Throwable cause) {
    this(kind, "", message, cause);
  }

  public KeyBrokerException(Kind kind, String reason, String message, Throwable cause) {
    super(truncate(message), cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.reason = reason == null ? "" : reason;
  }

  public Kind kind() {
    return kind;
  }

  /** The broker's denial reason ("REASON at step"), or empty. */
  public String reason() {
    return reason;
  }

  private static String truncate(String m) {
    if (m == null) {
      return "";
    }
    return m.length() > MAX_MESSAGE ? m.substring(0, MAX_MESSAGE - 3) + "..." : m;
  }
}
