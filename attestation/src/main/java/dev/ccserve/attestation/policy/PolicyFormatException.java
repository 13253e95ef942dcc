package dev.ccserve.attestation.policy;

/**
 * A reference-policy file could not be read or is invalid. The message names the file and the
 * offending field, and says what was expected and what was found.
 */
public final class PolicyFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  public PolicyFormatException(String message) {
    super(message);
  }

  public PolicyFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
