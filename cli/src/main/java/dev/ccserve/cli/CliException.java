package dev.ccserve.cli;

/** A failure a command reports to the user as one line; {@code usage} selects exit code 2. */
public final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final boolean usage;

  public CliException(String message) {
    this(message, false);
  }

  public CliException(String message, boolean usage) {
    super(message);
    this.usage = usage;
  }

  public static CliException usage(String message) {
    return new CliException(message, true);
  }

  public boolean usage() {
    return usage;
  }
}
