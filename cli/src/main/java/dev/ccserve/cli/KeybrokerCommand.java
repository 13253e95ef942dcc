package dev.ccserve.cli;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.EvidenceVerifier;
import dev.ccserve.attestation.TeeType;
import dev.ccserve.attestation.dcap.CollateralSource;
import dev.ccserve.attestation.dcap.DcapQuoteVerifier;
import dev.ccserve.attestation.dcap.FileCollateralSource;
import dev.ccserve.attestation.dcap.PcsCollateralSource;
import dev.ccserve.attestation.simulated.SimulatedTee;
import dev.ccserve.attestation.snp.FileVcekSource;
import dev.ccserve.attestation.snp.SnpVerifier;
import dev.ccserve.keybroker.BrokerCa;
import dev.ccserve.keybroker.BrokerVerifiers;
import dev.ccserve.keybroker.KeyBroker;
import dev.ccserve.keybroker.KeyBrokerException;
import dev.ccserve.keybroker.KeyBrokerOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ccserve keybroker}: runs the key broker until SIGTERM; {@code ccserve keybroker init}
 * creates its CA directory. Composition only: the broker lives in the keybroker module.
 */
@Command(
    name = "keybroker",
    mixinStandardHelpOptions = true,
    subcommands = {KeybrokerCommand.Init.class},
    description = {
        "Run the key broker: releases model wrap keys and signs serving certificates only to clients"
            + " that pass remote attestation over RA-TLS.",
        "One TLS port serves the gRPC API (ccserve.keybroker.v1) and Gramine's secret_prov protocol.",
        "Runs until SIGTERM/SIGINT. Create the CA directory first with 'ccserve keybroker init'."})
final class KeybrokerCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--port", defaultValue = "4433", paramLabel = "PORT",
      description = "TLS port serving both the gRPC API and Gramine's secret_prov protocol, told apart"
          + " by the first bytes after the handshake (default: ${DEFAULT-VALUE}, Gramine's default).")
  int port;

  @Option(names = "--secret_prov_port", defaultValue = "-1", paramLabel = "PORT",
      description = "Optional extra port serving only Gramine secret_prov, with client certificates"
          + " required at the handshake (default: none).")
  int secretProvPort;

  @Option(names = "--bind_address", defaultValue = "0.0.0.0", paramLabel = "ADDR",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bindAddress;

  @Option(names = "--policy", paramLabel = "FILE",
      description = "Required. Broker policy (YAML): entries of reference values, secrets, service names,"
          + " allow_no_nonce. Reloaded when it changes; a bad reload keeps the previous policy.")
  Path policy;

  @Option(names = "--secrets", paramLabel = "DIR",
      description = "Required. Directory with one file per secret (16 raw bytes for a wrap key); files must be"
          + " mode 0600 (no group/other access) or the broker refuses to start.")
  Path secrets;

  @Option(names = "--ca", paramLabel = "DIR",
      description = "Required. CA directory (ca_cert.pem, ca_key.pem, server_cert.pem, server_key.pem) made by"
          + " 'ccserve keybroker init'.")
  Path ca;

  @Option(names = "--audit_log", paramLabel = "FILE",
      description = "Required. Append-only JSON-lines audit log (created if missing; every line fsync'd).")
  Path auditLog;

  @Option(names = "--serving_cert_validity", defaultValue = "24h", paramLabel = "DURATION",
      description = "Lifetime of issued serving certificates, e.g. 24h, 90m, 7d (default: ${DEFAULT-VALUE}).")
  String servingCertValidity;

  @Option(names = "--nonce_lifetime", defaultValue = "60s", paramLabel = "DURATION",
      description = "How long a Challenge nonce stays valid (default: ${DEFAULT-VALUE}).")
  String nonceLifetime;

  @Option(names = "--collateral", paramLabel = "FILE",
      description = "DCAP collateral bundle (JSON, dcap-qvl schema) instead of a PCCS/PCS.")
  Path collateral;

  @Option(names = "--pccs_url", paramLabel = "URL",
      description = "PCCS or PCS base URL for DCAP collateral (default: Intel PCS).")
  URI pccsUrl;

  @Option(names = "--vcek", paramLabel = "FILE",
      description = "SEV-SNP: VCEK/VLEK certificate (DER or PEM) or directory of <chip_id>.der files.")
  Path vcek;

  @Option(names = "--trust_simulated_tee_insecure", paramLabel = "DIR",
      description = "DANGEROUS, development only: also trust the simulated TEE whose keys are in DIR"
          + " (its evidence proves nothing about hardware; policy entries must also set"
          + " trust_simulated_insecure). If DIR holds the simulated keys, fresh simulated collateral is served.")
  Path simulatedDir;

  @Override
  public Integer call() throws Exception {
    for (Object[] o : new Object[][] {{"--policy", policy}, {"--secrets", secrets}, {"--ca", ca},
        {"--audit_log", auditLog}}) {
      if (o[1] == null) {
        throw CliException.usage("missing required option " + o[0] + " (see ccserve keybroker --help)");
      }
    }
    if (collateral != null && pccsUrl != null) {
      throw CliException.usage("give at most one of --collateral and --pccs_url");
    }
    Clock clock = Clock.systemUTC();
    KeyBrokerOptions options;
    try {
      options = KeyBrokerOptions.defaults().withBindAddress(bindAddress).withPorts(port, secretProvPort)
          .withServingCertValidity(duration("--serving_cert_validity", servingCertValidity))
          .withNonceLifetime(duration("--nonce_lifetime", nonceLifetime));
    } catch (IllegalArgumentException e) {
      throw CliException.usage(e.getMessage());
    }
    PrintWriter err = spec.commandLine().getErr();
    EvidenceVerifier verifier = verifier(clock, err);
    ShutdownSignal signal = ShutdownSignal.install();
    try (KeyBroker broker = KeyBroker.builder().ca(BrokerCa.load(ca, clock)).policyFile(policy)
        .secretsDir(secrets).auditLog(auditLog).verifier(verifier).options(options).clock(clock).start()) {
      spec.commandLine().getOut().println("key broker listening on " + bindAddress + ":" + broker.port()
          + " (gRPC and Gramine secret_prov)" + (secretProvPort < 0 ? "" : ", secret_prov only on "
              + bindAddress + ":" + broker.secretProvisionPort()));
      spec.commandLine().getOut().flush();
      signal.await();
    } catch (KeyBrokerException e) {
      throw new CliException(e.getMessage());
    } finally {
      signal.closed();
    }
    return 0;
  }

  private EvidenceVerifier verifier(Clock clock, PrintWriter err) {
    CollateralSource source;
    if (collateral != null) {
      if (!Files.isRegularFile(collateral)) {
        throw CliException.usage("--collateral: expected a file, found nothing at " + collateral);
      }
      source = FileCollateralSource.of(collateral);
    } else if (pccsUrl != null) {
      source = PcsCollateralSource.pccs(pccsUrl, HttpClient.newHttpClient(), clock);
    } else {
      source = PcsCollateralSource.intelPcs(HttpClient.newHttpClient(), clock);
    }
    DcapQuoteVerifier dcap;
    if (simulatedDir == null) {
      dcap = DcapQuoteVerifier.intelPinned(source, clock);
    } else {
      dcap = simulatedVerifier(source, clock, err);
    }
    SnpVerifier.Builder snp = SnpVerifier.builder().clock(clock);
    if (vcek != null) {
      snp.vcekSource(new FileVcekSource(vcek));
    }
    Map<TeeType, EvidenceVerifier> m = new EnumMap<>(TeeType.class);
    m.put(TeeType.SGX, dcap);
    m.put(TeeType.TDX, dcap);
    m.put(TeeType.SEV_SNP, snp.build());
    return BrokerVerifiers.byTee(m);
  }

  private DcapQuoteVerifier simulatedVerifier(CollateralSource source, Clock clock, PrintWriter err) {
    PublicKey root;
    try {
      root = SimulatedTee.readRootPublicKey(simulatedDir);
    } catch (IOException e) {
      throw CliException.usage("--trust_simulated_tee_insecure: no simulated TEE root (root.pem) in "
          + simulatedDir + " (" + e.getClass().getSimpleName() + ")");
    }
    CollateralSource combined = source;
    if (Files.isRegularFile(simulatedDir.resolve("tcb-signing.key"))) {
      try {
        combined = BrokerVerifiers.withSimulatedCollateralInsecure(SimulatedTee.openOrCreate(simulatedDir, clock),
            source);
      } catch (IOException | AttestationException e) {
        throw new CliException("--trust_simulated_tee_insecure: cannot open simulated TEE " + simulatedDir
            + ": " + e.getMessage());
      }
    }
    err.println("WARNING: trusting the simulated TEE root in " + simulatedDir
        + " (INSECURE: simulated evidence proves nothing about hardware)");
    err.flush();
    return DcapQuoteVerifier.trustingSimulatedRootInsecure(root, combined, clock);
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  /** Parses {@code 24h}, {@code 90m}, {@code 30s}, {@code 500ms}, {@code 7d} or ISO-8601 {@code PT24H}. */
  static Duration duration(String flag, String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    Matcher m = DURATION.matcher(t);
    try {
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
      }
      return Duration.parse(text.trim());
    } catch (RuntimeException e) {
      throw CliException.usage(flag + ": expected a duration like 24h, 90m, 30s or 7d, found \"" + text + "\"");
    }
  }

  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Create the broker's CA directory: ca_cert.pem, ca_key.pem (0600), server_cert.pem,"
          + " server_key.pem (0600). The server certificate's CN is the first name; all names are"
          + " subjectAltNames. Existing files are never overwritten.")
  static final class Init implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--ca", required = true, paramLabel = "DIR", description = "CA directory to create.")
    Path ca;

    @Option(names = "--names", required = true, split = ",", paramLabel = "NAME",
        description = "Comma-separated DNS names / IP addresses clients dial the broker by, e.g."
            + " attestation.service.com,localhost,127.0.0.1.")
    List<String> names;

    @Override
    public Integer call() {
      try {
        BrokerCa.init(ca, names, Clock.systemUTC());
      } catch (KeyBrokerException e) {
        throw new CliException(e.getMessage());
      }
      PrintWriter o = spec.commandLine().getOut();
      o.println("wrote " + ca + "/ (broker CA, EC P-256; server certificate for " + String.join(", ", names) + "):");
      for (String f : List.of(BrokerCa.CA_CERT, BrokerCa.CA_KEY, BrokerCa.SERVER_CERT, BrokerCa.SERVER_KEY)) {
        o.println("  " + ca.resolve(f));
      }
      o.println("Give " + ca.resolve(BrokerCa.CA_CERT) + " to the confidential servers and to Gramine enclaves"
          + " (SECRET_PROVISION_CA_CHAIN_PATH); keep ca_key.pem secret.");
      return 0;
    }
  }
}
