package dev.ccserve.cli;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceProvider;
import dev.ccserve.attestation.EvidenceVerifier;
import dev.ccserve.attestation.TeeType;
import dev.ccserve.attestation.dcap.CollateralSource;
import dev.ccserve.attestation.dcap.DcapQuoteVerifier;
import dev.ccserve.attestation.dcap.FileCollateralSource;
import dev.ccserve.attestation.dcap.PcsCollateralSource;
import dev.ccserve.attestation.diagnostics.EvidenceDiagnostics;
import dev.ccserve.attestation.diagnostics.Verdict;
import dev.ccserve.attestation.policy.PolicyFormatException;
import dev.ccserve.attestation.policy.PolicyGate;
import dev.ccserve.attestation.policy.ReferencePolicyLoader;
import dev.ccserve.attestation.provider.gramine.GramineEvidenceProvider;
import dev.ccserve.attestation.provider.tsm.TsmEvidenceProvider;
import dev.ccserve.attestation.simulated.DistributionMeasurement;
import dev.ccserve.attestation.simulated.SimulatedEvidenceProvider;
import dev.ccserve.attestation.simulated.SimulatedTee;
import dev.ccserve.attestation.snp.FileVcekSource;
import dev.ccserve.attestation.snp.SnpVerifier;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code ccserve attest verify|quote}: attestation diagnostics. {@code verify} detects, verifies and
 * judges an evidence file and prints a JSON verdict naming the failing step (exit 0 accepted, 1
 * rejected, 2 usage); {@code quote} writes evidence from a provider (the INSECURE simulated TEE
 * also writes matching collateral).
 */
@Command(
    name = "attest",
    description = "Attestation diagnostics: verify evidence, produce quotes.",
    mixinStandardHelpOptions = true,
    subcommands = {AttestCommand.Verify.class, AttestCommand.Quote.class})
final class AttestCommand implements Runnable {
  @Spec CommandSpec spec;

  /** Default directory of the simulated TEE's keys. */
  static Path defaultSimulatedDir() {
    return Paths.get(System.getProperty("user.home"), ".ccserve", "simulated-tee");
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = "Verify an evidence file (DCAP quote, SNP report, RA-TLS certificate; binary, hex"
          + " or base64) and print a JSON verdict. Exit 0 only when accepted.")
  static final class Verify implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--evidence", required = true, paramLabel = "FILE", description = "Evidence file.")
    Path evidence;

    @Option(names = "--collateral", paramLabel = "FILE",
        description = "DCAP collateral bundle (JSON). Default: FILE.collateral.json next to the"
            + " evidence if present, else --pccs_url, else Intel PCS.")
    Path collateral;

    @Option(names = "--pccs_url", paramLabel = "URL",
        description = "PCCS or PCS base URL serving /sgx|tdx/certification/v4/...")
    URI pccsUrl;

    @Option(names = "--at", paramLabel = "ISO-8601-TIME",
        description = "Verification instant, e.g. 2025-06-20T00:00:00Z (default: now).")
    String at;

    @Option(names = "--policy", paramLabel = "FILE",
        description = "Reference policy (YAML/JSON). Without it only the strict baseline applies"
            + " (UpToDate TCB, no debug, no simulated evidence); no measurement is checked.")
    Path policy;

    @Option(names = "--trust_simulated_root", paramLabel = "DIR",
        description = "INSECURE: also trust the simulated TEE root in DIR (evidence proves nothing"
            + " about hardware).")
    Path simulatedRoot;

    @Option(names = "--vcek", paramLabel = "FILE",
        description = "SEV-SNP: VCEK/VLEK certificate (DER or PEM) or directory of <chip_id>.der files.")
    Path vcek;

    @Override
    public Integer call() {
      if (collateral != null && pccsUrl != null) {
        throw CliException.usage("give at most one of --collateral and --pccs_url");
      }
      Clock clock = clock();
      byte[] input = read(evidence, "--evidence");
      PolicyGate gate = null;
      if (policy != null) {
        try {
          gate = new PolicyGate(ReferencePolicyLoader.load(policy));
        } catch (PolicyFormatException e) {
          throw CliException.usage(e.getMessage());
        }
      }
      Map<TeeType, EvidenceVerifier> verifiers = new EnumMap<>(TeeType.class);
      DcapQuoteVerifier dcap = dcapVerifier(collateralSource(clock), clock);
      verifiers.put(TeeType.SGX, dcap);
      verifiers.put(TeeType.TDX, dcap);
      SnpVerifier.Builder snp = SnpVerifier.builder().clock(clock);
      if (vcek != null) {
        snp.vcekSource(new FileVcekSource(vcek));
      }
      verifiers.put(TeeType.SEV_SNP, snp.build());
      Verdict v = new EvidenceDiagnostics(EvidenceDiagnostics.installedDecoders(), verifiers, gate,
          simulatedRoot != null).diagnose(input);
      PrintWriter out = spec.commandLine().getOut();
      out.println(v.toJson());
      out.flush();
      return v.accepted() ? 0 : 1;
    }

    private Clock clock() {
      if (at == null) {
        return Clock.systemUTC();
      }
      try {
        return Clock.fixed(Instant.parse(at), ZoneOffset.UTC);
      } catch (DateTimeParseException e) {
        throw CliException.usage("--at: expected an ISO-8601 instant like 2025-06-20T00:00:00Z, found \""
            + at + "\"");
      }
    }

    private CollateralSource collateralSource(Clock clock) {
      if (collateral != null) {
        requireFile(collateral, "--collateral");
        return FileCollateralSource.of(collateral);
      }
      if (pccsUrl != null) {
        return PcsCollateralSource.pccs(pccsUrl, HttpClient.newHttpClient(), clock);
      }
      Path sibling = evidence.resolveSibling(evidence.getFileName() + ".collateral.json");
      if (Files.isRegularFile(sibling)) {
        return FileCollateralSource.of(sibling);
      }
      return PcsCollateralSource.intelPcs(HttpClient.newHttpClient(), clock);
    }

    private DcapQuoteVerifier dcapVerifier(CollateralSource source, Clock clock) {
      if (simulatedRoot == null) {
        return DcapQuoteVerifier.intelPinned(source, clock);
      }
      PublicKey root;
      try {
        root = SimulatedTee.readRootPublicKey(simulatedRoot);
      } catch (IOException e) {
        throw CliException.usage("--trust_simulated_root: no simulated TEE root in " + simulatedRoot
            + " (" + e.getClass().getSimpleName() + ")");
      }
      spec.commandLine().getErr().println(
          "WARNING: trusting the simulated TEE root (INSECURE: proves nothing about hardware)");
      return DcapQuoteVerifier.trustingSimulatedRootInsecure(root, source, clock);
    }
  }

  @Command(name = "quote", mixinStandardHelpOptions = true,
      description = "Produce evidence binding REPORT_DATA and write it to FILE (simulated: also"
          + " FILE.collateral.json).")
  static final class Quote implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--attestation", required = true, paramLabel = "simulated|gramine|tsm",
        description = "Evidence provider.")
    String attestation;

    @Option(names = "--report_data", required = true, paramLabel = "HEX",
        description = "Up to 64 bytes of report data in hex; zero-padded to 64.")
    String reportData;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Evidence output file.")
    Path out;

    @Option(names = "--simulated_dir", paramLabel = "DIR",
        description = "Simulated TEE key directory (default: ~/.ccserve/simulated-tee); created on first use.")
    Path simulatedDir;

    @Option(names = "--config", paramLabel = "KEY=VALUE",
        description = "Simulated: measured configuration entries (as for 'ccserve measure').")
    Map<String, String> config = new LinkedHashMap<>();

    @Option(names = "--path", paramLabel = "JAR_OR_DIR",
        description = "Simulated: measure these jars/directories instead of java.class.path.")
    java.util.List<Path> paths = new java.util.ArrayList<>();

    @Override
    public Integer call() {
      byte[] rd = reportData(reportData);
      EvidenceProvider provider;
      SimulatedEvidenceProvider simulated = null;
      switch (attestation) {
        case "simulated":
          simulated = simulatedProvider();
          provider = simulated;
          break;
        case "gramine":
        case "tsm":
          provider = hardwareProvider(attestation);
          break;
        default:
          throw CliException.usage("--attestation: expected simulated, gramine or tsm, found \""
              + attestation + "\"");
      }
      PrintWriter o = spec.commandLine().getOut();
      try {
        Evidence e = provider.attest(rd);
        Files.write(out, e.bytes());
        o.println("wrote " + out + " (" + e.format() + ", " + e.length() + " bytes, sha256 "
            + e.digest() + ")");
        if (simulated != null) {
          Path col = out.resolveSibling(out.getFileName() + ".collateral.json");
          Files.writeString(col, simulated.collateral().toJson(), StandardCharsets.UTF_8);
          o.println("wrote " + col + " (collateral)");
          o.println("INSECURE: simulated evidence proves nothing about hardware;"
              + " verify with --trust_simulated_root " + simulatedDirOrDefault());
        }
      } catch (AttestationException e) {
        throw new CliException(e.getMessage());
      } catch (IOException e) {
        throw new CliException("cannot write " + out + ": " + e.getClass().getSimpleName());
      }
      return 0;
    }

    private Path simulatedDirOrDefault() {
      return simulatedDir != null ? simulatedDir : defaultSimulatedDir();
    }

    private SimulatedEvidenceProvider simulatedProvider() {
      try {
        SimulatedTee tee = SimulatedTee.openOrCreate(simulatedDirOrDefault(), Clock.systemUTC());
        DistributionMeasurement m = paths.isEmpty()
            ? DistributionMeasurement.ofRunningClassPath(config)
            : DistributionMeasurement.of(paths, config);
        return new SimulatedEvidenceProvider(tee, m, 0, 0);
      } catch (IOException e) {
        throw new CliException("cannot open simulated TEE in " + simulatedDirOrDefault() + ": "
            + e.getMessage());
      }
    }

    static byte[] reportData(String hex) {
      String h = hex.startsWith("0x") ? hex.substring(2) : hex;
      byte[] b;
      try {
        b = HexFormat.of().parseHex(h);
      } catch (IllegalArgumentException e) {
        throw CliException.usage("--report_data: expected hex, found \"" + abbreviate(hex) + "\"");
      }
      if (b.length > 64) {
        throw CliException.usage("--report_data: expected at most 64 bytes, found " + b.length);
      }
      return java.util.Arrays.copyOf(b, 64);
    }
  }

  /** Hardware evidence providers by CLI name (default device paths). */
  static EvidenceProvider hardwareProvider(String name) {
    if (name.equals("gramine")) {
      return new GramineEvidenceProvider();
    }
    try {
      return TsmEvidenceProvider.open();
    } catch (AttestationException e) {
      throw new CliException("--attestation tsm: " + e.getMessage());
    }
  }

  static byte[] read(Path f, String option) {
    requireFile(f, option);
    try {
      return Files.readAllBytes(f);
    } catch (IOException e) {
      throw CliException.usage(option + ": cannot read " + f + " (" + e.getClass().getSimpleName() + ")");
    }
  }

  static void requireFile(Path f, String option) {
    if (!Files.exists(f)) {
      throw CliException.usage(option + ": no such file " + f);
    }
  }

  static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 37) + "..." : s;
  }
}
