package dev.ccserve.it.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.Grpc;
import io.grpc.Server;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exec probe {@code deploy/docker/ccserve-grpc-health} used by the Kubernetes manifests,
 * run against a real TLS gRPC server with the standard health service (grpc-java's
 * HealthStatusManager, the same service ccserve registers).
 */
class GrpcHealthProbeScriptTest {

  private static final String PREDICTION = "tensorflow.serving.PredictionService";

  @TempDir Path tmp;
  private Server server;
  private HealthStatusManager health;
  private TestPki.Identity identity;

  @BeforeEach
  void start() throws Exception {
    assumeTrue(ExternalProcess.which("curl") != null && ExternalProcess.which("od") != null,
        "SKIPPED: the probe script needs curl and od on PATH");
    identity = TestPki.selfSigned(tmp, "server", "grpc.tf-serving.service.com");
    health = new HealthStatusManager();
    health.setStatus("", ServingStatus.NOT_SERVING);
    health.setStatus(PREDICTION, ServingStatus.NOT_SERVING);
    server = Grpc.newServerBuilderForPort(0, TlsServerCredentials.newBuilder()
            .keyManager(identity.certPem().toFile(), identity.keyPem().toFile()).build())
        .addService(health.getHealthService()).build().start();
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void probe_notServing_exitsOne() throws Exception {
    ExternalProcess.Result r = probe("-s", PREDICTION);
    assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
    assertThat(r.output()).contains("is NOT_SERVING");
  }

  @Test
  void probe_servingOverTls_exitsZero() throws Exception {
    health.setStatus(PREDICTION, ServingStatus.SERVING);
    ExternalProcess.Result r = probe("-s", PREDICTION);
    assertThat(r.exitCode()).as(r.describe()).isZero();
    // The whole-server status "" is still NOT_SERVING and is reported separately.
    assertThat(probe().exitCode()).isEqualTo(1);
    health.setStatus("", ServingStatus.SERVING);
    assertThat(probe().exitCode()).isZero();
  }

  @Test
  void probe_verifyingCertificateByName_exitsZero() throws Exception {
    health.setStatus(PREDICTION, ServingStatus.SERVING);
    ExternalProcess.Result r = probe("-s", PREDICTION, "--cacert", identity.certPem().toString(),
        "--server-name", "grpc.tf-serving.service.com");
    assertThat(r.exitCode()).as(r.describe()).isZero();
  }

  @Test
  void probe_untrustedCertificate_exitsOne() throws Exception {
    health.setStatus(PREDICTION, ServingStatus.SERVING);
    TestPki.Identity other = TestPki.selfSigned(tmp, "other", "grpc.tf-serving.service.com");
    ExternalProcess.Result r = probe("-s", PREDICTION, "--cacert", other.certPem().toString(),
        "--server-name", "grpc.tf-serving.service.com");
    assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
  }

  @Test
  void probe_unknownService_exitsOne() throws Exception {
    health.setStatus(PREDICTION, ServingStatus.SERVING);
    ExternalProcess.Result r = probe("-s", "no.such.Service");
    assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
  }

  @Test
  void probe_nothingListening_exitsOne() throws Exception {
    int port = NginxSupport.freePort(); // just closed: nothing listens there
    ExternalProcess.Result r = ExternalProcess.run(List.of(script(), "-a", "127.0.0.1:" + port),
        Duration.ofSeconds(20));
    assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
  }

  @Test
  void probe_mutualTls_needsClientCertificate() throws Exception {
    TestPki.Identity client = TestPki.selfSigned(tmp, "probe-client", "probe");
    HealthStatusManager mtlsHealth = new HealthStatusManager();
    mtlsHealth.setStatus(PREDICTION, ServingStatus.SERVING);
    Server mtls = Grpc.newServerBuilderForPort(0, TlsServerCredentials.newBuilder()
            .keyManager(identity.certPem().toFile(), identity.keyPem().toFile())
            .trustManager(client.certPem().toFile())
            .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build())
        .addService(mtlsHealth.getHealthService()).build().start();
    try {
      String addr = "127.0.0.1:" + mtls.getPort();
      ExternalProcess.Result without = ExternalProcess.run(List.of(script(), "-a", addr, "-s", PREDICTION),
          Duration.ofSeconds(20));
      assertThat(without.exitCode()).as(without.describe()).isEqualTo(1);
      ExternalProcess.Result with = ExternalProcess.run(List.of(script(), "-a", addr, "-s", PREDICTION,
          "--cert", client.certPem().toString(), "--key", client.keyPem().toString()), Duration.ofSeconds(20));
      assertThat(with.exitCode()).as(with.describe()).isZero();
    } finally {
      mtls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private ExternalProcess.Result probe(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(script(), "-a", "127.0.0.1:" + server.getPort()));
    cmd.addAll(List.of(args));
    return ExternalProcess.run(cmd, Duration.ofSeconds(20));
  }

  private static String script() {
    return DeployFiles.deploy("docker/ccserve-grpc-health").toString();
  }
}
