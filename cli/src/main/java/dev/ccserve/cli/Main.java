package dev.ccserve.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ccserve} command: the composition root. It wires the modules together and holds no
 * logic of its own. {@link #run(String...)} takes its streams from the constructor so that tests can
 * run any subcommand with string writers and assert on exit code and output.
 *
 * <p>Exit codes: 0 success, 1 failure at run time, 2 bad usage.
 */
@Command(
    name = "ccserve",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Confidential, TensorFlow-Serving-compatible model server.",
    subcommands = {
      CommandLine.HelpCommand.class,
      ServeCommand.class,
      ModelCommand.class,
      TlsCommand.class,
      ClientCommand.class,
      AttestCommand.class,
      MeasureCommand.class,
      KeybrokerCommand.class,
      DemoCommand.class,
    })
public final class Main implements Runnable {
  private final PrintWriter out;
  private final PrintWriter err;

  public Main(PrintWriter out, PrintWriter err) {
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    int code = new Main(out, err).run(args);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /** Runs the command line and returns the process exit code. */
  public int run(String... args) {
    CommandLine cl = new CommandLine(this);
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler(new CliExceptionHandler());
    cl.setExitCodeExceptionMapper(t -> t instanceof CommandLine.ParameterException ? 2 : 1);
    return cl.execute(args);
  }

  @Override
  public void run() {
    new CommandLine(this).setOut(out).usage(out);
  }
}
