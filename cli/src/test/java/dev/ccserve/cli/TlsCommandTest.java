package dev.ccserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.TextFormat;
import dev.ccserve.crypto.tls.CertificateChecks;
import dev.ccserve.crypto.tls.Pem;
import dev.ccserve.crypto.tls.ServerTls;
import dev.ccserve.crypto.tls.TlsContexts;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.SslConfig.SSLConfig;

class TlsCommandTest {
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  int run(String... args) {
    return new Main(new PrintWriter(out, true), new PrintWriter(err, true)).run(args);
  }

  static SSLConfig parse(Path cfg) throws Exception {
    SSLConfig.Builder b = SSLConfig.newBuilder();
    TextFormat.merge(Files.readString(cfg), b);
    return b.build();
  }

  @Test
  void oneway_seedLayout_sslCfgParsesAndRoundTrips(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("ssl_configure");
    assertThat(run("tls", "oneway", "grpc.tf-serving.service.com", "--out", dir.toString(), "--san", "localhost"))
        .as(err.toString()).isZero();
    for (String f : List.of("ca_cert.pem", "ca_key.pem", "server/cert.pem", "server/key.pem", "ssl.cfg")) {
      assertThat(dir.resolve(f)).as(f).isRegularFile();
    }
    assertThat(dir.resolve("client")).doesNotExist();
    for (String f : List.of("ca_key.pem", "server/key.pem", "ssl.cfg")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(f)))).as(f).isEqualTo("rw-------");
    }
    SSLConfig cfg = parse(dir.resolve("ssl.cfg"));
    assertThat(cfg.getCustomCa()).isEmpty();
    assertThat(cfg.getClientVerify()).isFalse();
    assertThat(Pem.readPrivateKey(cfg.getServerKey()).getEncoded())
        .isEqualTo(Pem.readPrivateKey(Files.readString(dir.resolve("server/key.pem"))).getEncoded());
    assertThat(Pem.readCertificate(cfg.getServerCert()))
        .isEqualTo(Pem.readCertificate(Files.readString(dir.resolve("server/cert.pem"))));
    ServerTls tls = TlsContexts.fromSslConfig(cfg.getServerKey(), cfg.getServerCert(), cfg.getCustomCa(), cfg.getClientVerify(), Clock.systemUTC());
    assertThat(tls.certificateChain().get(0).getSubjectAlternativeNames())
        .containsExactly(List.of(2, "grpc.tf-serving.service.com"), List.of(2, "localhost"));
    assertThat(out.toString()).contains("client: ccserve client -url grpc.tf-serving.service.com:8500 -crt ");
  }

  @Test
  void twoway_sslCfgHasCustomCaAndClientVerify(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("ssl_configure");
    assertThat(run("tls", "twoway", "grpc.tf-serving.service.com", "client.tf-serving.service.com", "--out", dir.toString()))
        .as(err.toString()).isZero();
    for (String f : List.of("client/cert.pem", "client/key.pem", "client/cert.csr", "server/cert.csr")) {
      assertThat(dir.resolve(f)).as(f).isRegularFile();
    }
    SSLConfig cfg = parse(dir.resolve("ssl.cfg"));
    assertThat(cfg.getClientVerify()).isTrue();
    var ca = Pem.readCertificate(Files.readString(dir.resolve("ca_cert.pem")));
    assertThat(Pem.readCertificate(cfg.getCustomCa())).isEqualTo(ca);
    ServerTls tls = TlsContexts.fromSslConfig(cfg.getServerKey(), cfg.getServerCert(), cfg.getCustomCa(), true, Clock.systemUTC());
    assertThat(tls.trustManager()).isPresent();
    CertificateChecks.requireSignedBy(Pem.readCertificate(Files.readString(dir.resolve("client/cert.pem"))), List.of(ca), "client");
    TlsContexts.certifiedKey(Files.readString(dir.resolve("client/key.pem")), Files.readString(dir.resolve("client/cert.pem")),
        "client", Clock.systemUTC());
    assertThat(Files.readString(dir.resolve("ssl.cfg")).lines().toList()).hasSize(4);
  }

  @Test
  void oneway_existingDirectory_refusedThenReplacedWithForce(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("ssl_configure");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("old"), "x");
    assertThat(run("tls", "oneway", "a.test", "--out", dir.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("already exists").contains("--force");
    assertThat(dir.resolve("old")).exists();
    assertThat(run("tls", "oneway", "a.test", "--out", dir.toString(), "--force")).isZero();
    assertThat(dir.resolve("old")).doesNotExist();
    assertThat(dir.resolve("ssl.cfg")).exists();
  }

  @Test
  void oneway_rsa2048_rsaKeysAndBadSizeIsUsageError(@TempDir Path tmp) throws Exception {
    assertThat(run("tls", "oneway", "a.test", "--out", tmp.resolve("x").toString(), "--rsa", "1024")).isEqualTo(2);
    assertThat(err.toString()).contains("expected an RSA key size of 2048 or 4096, found 1024");
    Path dir = tmp.resolve("rsa");
    assertThat(run("tls", "oneway", "a.test", "--out", dir.toString(), "--rsa", "2048", "--days", "30")).isZero();
    assertThat(Files.readString(dir.resolve("server/key.pem"))).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(Pem.readPrivateKey(Files.readString(dir.resolve("server/key.pem"))).getAlgorithm()).isEqualTo("RSA");
    var cert = Pem.readCertificate(Files.readString(dir.resolve("server/cert.pem")));
    // --days 30 plus the one-minute backdating; X.509 times have one-second resolution and the
    // two ends are computed around an RSA key generation, so allow a few seconds under load.
    assertThat(cert.getNotAfter().getTime() - cert.getNotBefore().getTime())
        .isCloseTo(java.time.Duration.ofDays(30).plusMinutes(1).toMillis(),
            org.assertj.core.api.Assertions.within(5_000L));
  }
}
