package dev.ccserve.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns an exception thrown by a command into one line on stderr and exit code 1. Usage errors
 * ({@link CliException#usage()}) exit with 2. Stack traces are printed only with {@code
 * CCSERVE_DEBUG=1}, so that messages stay short and never dump internal state.
 */
final class CliExceptionHandler implements IExecutionExceptionHandler {
  @Override
  public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parseResult) {
    String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
    cl.getErr().println("ccserve " + cl.getCommandName() + ": " + msg);
    if ("1".equals(System.getenv("CCSERVE_DEBUG"))) {
      ex.printStackTrace(cl.getErr());
    }
    cl.getErr().flush();
    return (ex instanceof CliException ce && ce.usage()) ? 2 : 1;
  }
}
