package dev.ccserve.keybroker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccserve.attestation.EvidenceProvider;
import dev.ccserve.attestation.EvidenceVerifier;
import dev.ccserve.crypto.tls.CertificateAuthority;
import dev.ccserve.crypto.tls.KeyAlgorithm;
import dev.ccserve.keybroker.client.KeyBrokerClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real key broker on loopback ephemeral ports for tests: a fresh CA whose broker certificate
 * names localhost and 127.0.0.1, a secrets directory with one 16-byte wrap key "model_key"
 * (0600), a policy file and an audit log in a temporary directory.
 */
final class TestBroker implements AutoCloseable {
  static final String SECRET = "model_key";
  static final String SERVICE = "resnet.example.com";

  final Path dir;
  final Path policyFile;
  final Path secretsDir;
  final Path auditLog;
  final BrokerCa ca;
  final byte[] secret = new byte[16];
  KeyBroker broker;

  TestBroker(Path dir) throws IOException {
    this.dir = dir;
    this.policyFile = dir.resolve("policy.yaml");
    this.secretsDir = dir.resolve("secrets");
    this.auditLog = dir.resolve("audit.jsonl");
    Files.createDirectories(secretsDir);
    new java.security.SecureRandom().nextBytes(secret);
    writeSecret(SECRET, secret);
    CertificateAuthority authority = CertificateAuthority.create("test broker CA", KeyAlgorithm.EC_P256,
        Duration.ofDays(2), Clock.systemUTC());
    this.ca = BrokerCa.of(authority, authority.issueServer("localhost", List.of("127.0.0.1"),
        KeyAlgorithm.EC_P256, Duration.ofDays(1)));
  }

  void writeSecret(String name, byte[] bytes) throws IOException {
    Path f = secretsDir.resolve(name);
    Files.write(f, bytes);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
  }

  /** One-entry policy accepting {@code mrEnclaveHex}. */
  static String policy(String mrEnclaveHex, boolean trustSimulated, boolean allowNoNonce) {
    return "entries:\n"
        + "  - name: test-entry\n"
        + "    reference:\n"
        + "      sgx: {mr_enclave: [\"" + mrEnclaveHex + "\"]}\n"
        + "      trust_simulated_insecure: " + trustSimulated + "\n"
        + "    secrets: [" + SECRET + "]\n"
        + "    service_names: [" + SERVICE + "]\n"
        + "    allow_no_nonce: " + allowNoNonce + "\n";
  }

  TestBroker writePolicy(String yaml) throws IOException {
    Files.writeString(policyFile, yaml);
    return this;
  }

  TestBroker start(EvidenceVerifier verifier, Clock clock) throws KeyBrokerException {
    return start(verifier, clock, KeyBrokerOptions.defaults());
  }

  TestBroker start(EvidenceVerifier verifier, Clock clock, KeyBrokerOptions options) throws KeyBrokerException {
    return startOn(verifier, clock, options, 0);
  }

  TestBroker startOn(EvidenceVerifier verifier, Clock clock, KeyBrokerOptions options, int grpcPort)
      throws KeyBrokerException {
    broker = KeyBroker.builder().ca(ca).policyFile(policyFile).secretsDir(secretsDir).auditLog(auditLog)
        .verifier(verifier).clock(clock)
        .options(options.withBindAddress("127.0.0.1").withPorts(grpcPort, options.secretProvPort() < 0 ? -1 : 0)
            .withPolicyPollInterval(Duration.ofMillis(50)).withReadTimeout(Duration.ofSeconds(2)))
        .start();
    return this;
  }

  KeyBrokerClient client(EvidenceProvider provider) throws KeyBrokerException {
    return client(provider, SERVICE);
  }

  KeyBrokerClient client(EvidenceProvider provider, String service) throws KeyBrokerException {
    return new KeyBrokerClient(provider,
        KeyBrokerClient.Options.of("localhost", broker.grpcPort(), ca.caCertificatePem(), service, List.of(SECRET))
            .withRetryBudget(Duration.ZERO),
        Clock.systemUTC());
  }

  /** All audit lines so far. */
  List<JsonNode> audit() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    if (!Files.exists(auditLog)) {
      return out;
    }
    ObjectMapper m = new ObjectMapper();
    for (String line : Files.readAllLines(auditLog)) {
      out.add(m.readTree(line));
    }
    return out;
  }

  JsonNode lastAudit() throws IOException {
    List<JsonNode> all = audit();
    return all.isEmpty() ? null : all.get(all.size() - 1);
  }

  @Override
  public void close() {
    if (broker != null) {
      broker.close();
    }
  }
}
