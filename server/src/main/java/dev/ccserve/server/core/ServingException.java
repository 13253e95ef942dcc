package dev.ccserve.server.core;

/**
 * The one exception type of the serving core: a canonical {@link Code} and a message that says
 * what was expected and what was found. Messages are truncated to 1024 characters with the suffix
 * {@code ...TRUNCATED}, like TF Serving, and must never contain tensor values or key material.
 */
public final class ServingException extends Exception {
  private static final long serialVersionUID = 1L;
  static final int MAX_MESSAGE_CHARS = 1024;

  private final Code code;

  public ServingException(Code code, String message) {
    super(truncate(message));
    this.code = code;
  }

  public ServingException(Code code, String message, Throwable cause) {
    super(truncate(message), cause);
    this.code = code;
  }

  public Code code() {
    return code;
  }

  public static ServingException invalidArgument(String message) {
    return new ServingException(Code.INVALID_ARGUMENT, message);
  }

  public static ServingException notFound(String message) {
    return new ServingException(Code.NOT_FOUND, message);
  }

  public static ServingException failedPrecondition(String message) {
    return new ServingException(Code.FAILED_PRECONDITION, message);
  }

  static String truncate(String message) {
    if (message == null) {
      return "";
    }
    return message.length() <= MAX_MESSAGE_CHARS
        ? message
        : message.substring(0, MAX_MESSAGE_CHARS) + "...TRUNCATED";
  }
}
