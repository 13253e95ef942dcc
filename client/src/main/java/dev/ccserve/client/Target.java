package dev.ccserve.client;

/**
 * A server address {@code host:port} (IPv6 literals in brackets). Validated on construction.
 *
 * @param host a DNS name or IP literal, without brackets
 * @param port 1..65535
 */
public record Target(String host, int port) {
  public Target {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("expected a host name, found an empty one");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("expected a port in 1..65535, found " + port);
    }
  }

  /** Parses {@code host:port} or {@code [v6]:port}. */
  public static Target parse(String text) {
    String t = text == null ? "" : text.trim();
    int colon = t.lastIndexOf(':');
    if (colon <= 0 || colon == t.length() - 1) {
      throw new IllegalArgumentException("expected host:port, found '" + text + "'");
    }
    String host = t.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new IllegalArgumentException("expected [ipv6]:port, found '" + text + "'");
    }
    try {
      return new Target(host, Integer.parseInt(t.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected a numeric port in '" + text + "'");
    }
  }

  /** The same host with {@code port + 1} (TF Serving's REST port next to gRPC 8500 is 8501). */
  public Target nextPort() {
    return new Target(host, port + 1);
  }

  /** {@code host:port}, with brackets around IPv6 literals. */
  public String authority() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return authority();
  }
}
