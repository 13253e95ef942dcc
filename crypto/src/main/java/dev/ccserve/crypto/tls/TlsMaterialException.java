package dev.ccserve.crypto.tls;

/**
 * The one failure type of the TLS material boundary: unreadable PEM, a key that does not match its
 * certificate, a certificate outside its validity window, a chain that does not verify, a file
 * layout that cannot be written. Messages say what was expected and what was found and name
 * certificates by subject and serial, never by key bytes.
 */
public final class TlsMaterialException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TlsMaterialException(String message) {
    super(truncate(message));
  }

  public TlsMaterialException(String message, Throwable cause) {
    super(truncate(message), cause);
  }

  private static String truncate(String message) {
    return message != null && message.length() > 1024 ? message.substring(0, 1021) + "..." : message;
  }
}
