package dev.ccserve.cli;

import dev.ccserve.attestation.simulated.DistributionMeasurement;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ccserve measure}: prints the distribution measurement (SHA-256 over the jars on the class
 * path and the measured configuration, see {@link DistributionMeasurement}) that the simulated TEE
 * reports as MRENCLAVE and that a key broker policy must list under {@code sgx.mr_enclave}.
 */
@Command(name = "measure", mixinStandardHelpOptions = true,
    description = "Print the measurement a key broker must expect for this ccserve distribution"
        + " (simulated TEE MRENCLAVE).")
final class MeasureCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "KEY=VALUE",
      description = "Measured configuration entries, repeatable (must match the server's).")
  Map<String, String> config = new LinkedHashMap<>();

  @Option(names = "--path", paramLabel = "JAR_OR_DIR",
      description = "Measure these jars/directories instead of java.class.path, repeatable.")
  List<Path> paths = new ArrayList<>();

  @Option(names = "--policy_snippet", description = "Also print a policy YAML snippet.")
  boolean snippet;

  @Override
  public Integer call() {
    DistributionMeasurement m;
    try {
      m = paths.isEmpty()
          ? DistributionMeasurement.ofRunningClassPath(config)
          : DistributionMeasurement.of(paths, config);
    } catch (IOException e) {
      throw CliException.usage("cannot measure: " + e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println(m.hex());
    if (snippet) {
      out.println("# " + m.entries() + " files measured; policy snippet:");
      out.println("sgx:");
      out.println("  mr_enclave: [\"" + m.hex() + "\"]");
      out.println("trust_simulated_insecure: true   # only for the INSECURE simulated TEE");
    }
    out.flush();
    return 0;
  }
}
