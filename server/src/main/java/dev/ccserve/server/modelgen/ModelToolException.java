package dev.ccserve.server.modelgen;

/**
 * The one exception type of the model tools ({@link ModelGenerator}, {@link GraphDefConverter},
 * {@link ModelFetcher}, {@link SavedModelInspector}): something about the files, the graph or the
 * download is not as expected. Messages say what was expected and what was found, name paths, node
 * names and digests, and never contain tensor values; they are written for the operator of the
 * {@code ccserve model …} commands and may be printed as they are.
 */
public final class ModelToolException extends Exception {
  private static final long serialVersionUID = 1L;
  private static final int MAX_MESSAGE_CHARS = 1024;

  public ModelToolException(String message) {
    super(truncate(message));
  }

  public ModelToolException(String message, Throwable cause) {
    super(truncate(message), cause);
  }

  private static String truncate(String message) {
    if (message == null || message.length() <= MAX_MESSAGE_CHARS) {
      return message;
    }
    return message.substring(0, MAX_MESSAGE_CHARS - 1) + "…";
  }
}
