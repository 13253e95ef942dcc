package dev.ccserve.crypto.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsLayoutTest {
  private static final Clock CLOCK = Clock.systemUTC();

  @Test
  void write_twoWay_seedLayoutKeysPrivateAndChainsVerify(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("ssl_configure");
    List<String> files = TlsLayout.write(dir, new TlsLayout.Options("grpc.tf-serving.service.com",
        "client.tf-serving.service.com", List.of("localhost"), KeyAlgorithm.EC_P256, Duration.ofDays(365), false), CLOCK);
    assertThat(files).containsExactlyInAnyOrder("ca_cert.pem", "ca_key.pem", "server/key.pem", "server/cert.csr",
        "server/cert.pem", "client/key.pem", "client/cert.csr", "client/cert.pem", "ssl.cfg");
    for (String f : List.of("ca_key.pem", "server/key.pem", "client/key.pem", "ssl.cfg")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(f)))).as(f).isEqualTo("rw-------");
    }
    String ca = Files.readString(dir.resolve("ca_cert.pem"));
    TlsContexts.server(Files.readString(dir.resolve("server/key.pem")), Files.readString(dir.resolve("server/cert.pem")),
        ca, ClientAuth.REQUIRE, CLOCK);
    CertificateChecks.requireSignedBy(Pem.readCertificate(Files.readString(dir.resolve("client/cert.pem"))),
        List.of(Pem.readCertificate(ca)), "client");
    var server = Pem.readCertificate(Files.readString(dir.resolve("server/cert.pem")));
    assertThat(server.getSubjectAlternativeNames()).containsExactly(List.of(2, "grpc.tf-serving.service.com"), List.of(2, "localhost"));
    String cfg = Files.readString(dir.resolve("ssl.cfg"));
    assertThat(cfg.lines()).hasSize(4);
    assertThat(cfg).contains("client_verify: true\n").contains("custom_ca: '-----BEGIN CERTIFICATE-----\\n");
  }

  @Test
  void write_oneWay_noClientAndEmptyCustomCa(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("ssl_configure");
    List<String> files = TlsLayout.write(dir, new TlsLayout.Options("grpc.tf-serving.service.com", null, List.of(),
        KeyAlgorithm.EC_P256, Duration.ofDays(1), false), CLOCK);
    assertThat(files).containsExactlyInAnyOrder("ca_cert.pem", "ca_key.pem", "server/key.pem", "server/cert.pem", "ssl.cfg");
    String cfg = Files.readString(dir.resolve("ssl.cfg"));
    assertThat(cfg).matches("(?s)server_key: '-----BEGIN PRIVATE KEY-----\\\\n[A-Za-z0-9+/=]+\\\\n-----END PRIVATE KEY-----'\n"
        + "server_cert: '-----BEGIN CERTIFICATE-----\\\\n[A-Za-z0-9+/=]+\\\\n-----END CERTIFICATE-----'\n"
        + "custom_ca: ''\nclient_verify: false\n");
  }

  @Test
  void write_existingWithoutForce_refusesAndKeepsOld(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("ssl_configure");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("marker"), "x");
    var opts = new TlsLayout.Options("a.test", null, List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(1), false);
    assertThatThrownBy(() -> TlsLayout.write(dir, opts, CLOCK)).hasMessageContaining("already exists");
    assertThat(dir.resolve("marker")).exists();
  }

  @Test
  void write_existingWithForce_replacesWholeDirectory(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("ssl_configure");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("marker"), "x");
    TlsLayout.write(dir, new TlsLayout.Options("a.test", null, List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(1), true), CLOCK);
    assertThat(dir.resolve("marker")).doesNotExist();
    assertThat(dir.resolve("ssl.cfg")).exists();
    try (var s = Files.list(tmp)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("ssl_configure");
    }
  }
}
