package dev.ccserve.cli;

import dev.ccserve.attestation.EvidenceProvider;
import dev.ccserve.attestation.simulated.DistributionMeasurement;
import dev.ccserve.attestation.simulated.SimulatedEvidenceProvider;
import dev.ccserve.attestation.simulated.SimulatedTee;
import dev.ccserve.crypto.key.WrapKey;
import dev.ccserve.crypto.tls.ClientAuth;
import dev.ccserve.crypto.tls.ServerTls;
import dev.ccserve.crypto.tls.TlsContexts;
import dev.ccserve.crypto.tls.TlsMaterialException;
import dev.ccserve.keybroker.KeyBrokerException;
import dev.ccserve.keybroker.client.KeyBrokerClient;
import dev.ccserve.keybroker.client.Provisioning;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * The confidential-mode flags of {@code ccserve serve} and the start-up they drive: attest with
 * the chosen evidence provider, get the model keys and a serving certificate for a key generated
 * here (inside the TEE) from the key broker, and build the TLS material both ports serve with.
 */
final class ConfidentialOptions {
  private static final Logger log = LoggerFactory.getLogger(ConfidentialOptions.class);

  @Option(names = "--attestation", paramLabel = "simulated|gramine|tsm",
      description = "Confidential mode: attest with this evidence provider and take model keys and "
          + "the serving certificate from --keybroker. 'simulated' is INSECURE (no hardware).")
  String attestation;

  @Option(names = "--keybroker", paramLabel = "HOST:PORT",
      description = "Key broker address (confidential mode).")
  String keybroker;

  @Option(names = "--keybroker_ca", description = "PEM CA certificate of the key broker.")
  Path keybrokerCa;

  @Option(names = "--service_name",
      description = "DNS name clients use; the broker's serving certificate carries it.")
  String serviceName;

  @Option(names = "--client_ca_file",
      description = "Confidential mode: require client certificates signed by this PEM CA.")
  Path clientCaFile;

  @Option(names = "--keybroker_retry_seconds", defaultValue = "120",
      description = "Keep retrying an unreachable broker this long (default: ${DEFAULT-VALUE}).")
  int retrySeconds;

  @Option(names = "--simulated_tee_dir",
      description = "Simulated TEE key directory (default: ~/.ccserve/simulated-tee). INSECURE.")
  Path simulatedTeeDir;

  @Option(names = "--measured_config", paramLabel = "KEY=VALUE",
      description = "Simulated TEE: measured configuration entries (as for 'ccserve measure').")
  Map<String, String> measuredConfig = new LinkedHashMap<>();

  /** Keys and TLS obtained from the broker. */
  record Provisioned(Map<String, WrapKey> keys, ServerTls tls) {}

  boolean enabled() {
    return attestation != null;
  }

  void validate(boolean hasSslConfig, boolean hasKeyFile) {
    if (!enabled()) {
      if (keybroker != null || keybrokerCa != null || serviceName != null || clientCaFile != null) {
        throw CliException.usage("--keybroker, --keybroker_ca, --service_name and "
            + "--client_ca_file need --attestation simulated|gramine|tsm");
      }
      return;
    }
    if (!List.of("simulated", "gramine", "tsm").contains(attestation)) {
      throw CliException.usage("--attestation: expected simulated, gramine or tsm, found "
          + attestation);
    }
    if (keybroker == null || keybrokerCa == null || serviceName == null) {
      throw CliException.usage("confidential mode needs --keybroker HOST:PORT, --keybroker_ca "
          + "FILE and --service_name NAME");
    }
    if (hasSslConfig || hasKeyFile) {
      throw CliException.usage("confidential mode takes TLS and model keys from the key broker; "
          + "drop --ssl_config_file and --model_key_file");
    }
  }

  /** Attests and provisions; blocks (with retries) until the broker answers. */
  Provisioned provision(List<String> modelNames, Clock clock) {
    EvidenceProvider provider = provider(clock);
    String caPem = readText(keybrokerCa, "--keybroker_ca");
    int colon = keybroker.lastIndexOf(':');
    if (colon <= 0) {
      throw CliException.usage("--keybroker: expected HOST:PORT, found " + keybroker);
    }
    String host = keybroker.substring(0, colon);
    int port;
    try {
      port = Integer.parseInt(keybroker.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw CliException.usage("--keybroker: expected a numeric port, found " + keybroker);
    }
    log.info("attesting with provider={} and requesting keys for models {} from broker {}",
        provider.name(), modelNames, keybroker);
    Provisioning p;
    try {
      p = new KeyBrokerClient(provider, KeyBrokerClient.Options.of(host, port, caPem, serviceName,
          modelNames).withRetryBudget(Duration.ofSeconds(retrySeconds)), clock).provision();
    } catch (KeyBrokerException e) {
      throw new CliException("key broker " + keybroker + ": " + e.getMessage());
    }
    log.info("key broker released {} key(s) and a serving certificate for {} (policy entry {})",
        p.wrapKeys().size(), serviceName, p.policyEntry());
    try {
      String clientCa = clientCaFile == null ? null : readText(clientCaFile, "--client_ca_file");
      ServerTls tls = TlsContexts.server(p.servingKey().privateKeyPem(), p.servingKey().chainPem(),
          clientCa, clientCa == null ? ClientAuth.NONE : ClientAuth.REQUIRE, clock);
      return new Provisioned(Map.copyOf(p.wrapKeys()), tls);
    } catch (TlsMaterialException e) {
      throw new CliException("serving certificate from the key broker is unusable: "
          + e.getMessage());
    }
  }

  private EvidenceProvider provider(Clock clock) {
    if (!"simulated".equals(attestation)) {
      return AttestCommand.hardwareProvider(attestation);
    }
    log.warn("INSECURE: --attestation simulated. The simulated TEE proves nothing about "
        + "hardware; use it for development and tests only.");
    try {
      SimulatedTee tee = SimulatedTee.openOrCreate(simulatedTeeDir != null ? simulatedTeeDir
          : AttestCommand.defaultSimulatedDir(), clock);
      return new SimulatedEvidenceProvider(tee,
          DistributionMeasurement.ofRunningClassPath(measuredConfig), 0, 0);
    } catch (IOException e) {
      throw new CliException("simulated TEE: " + e.getMessage());
    }
  }

  static String readText(Path f, String option) {
    try {
      return Files.readString(f);
    } catch (IOException e) {
      throw CliException.usage(option + ": cannot read " + f + " (" + e.getClass().getSimpleName()
          + ")");
    }
  }
}
