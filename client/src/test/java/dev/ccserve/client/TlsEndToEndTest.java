package dev.ccserve.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsServer;
import dev.ccserve.crypto.tls.CertificateAuthority;
import dev.ccserve.crypto.tls.CertifiedKey;
import dev.ccserve.crypto.tls.ClientAuth;
import dev.ccserve.crypto.tls.KeyAlgorithm;
import dev.ccserve.crypto.tls.ServerTls;
import dev.ccserve.crypto.tls.TlsContexts;
import dev.ccserve.crypto.tls.TlsMaterialException;
import io.grpc.Server;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against real gRPC (Netty) and REST (JDK HTTPS) servers over TLS sockets on loopback,
 * with TLS material from the seed layout's roles: one-way, two-way, wrong CA, wrong name, expired
 * certificate, missing client certificate.
 */
class TlsEndToEndTest {
  private static final Clock CLOCK = Clock.systemUTC();
  private static final CertificateAuthority CA =
      CertificateAuthority.create("test CA", KeyAlgorithm.EC_P256, Duration.ofDays(2), CLOCK);
  private static final CertificateAuthority OTHER_CA =
      CertificateAuthority.create("other CA", KeyAlgorithm.EC_P256, Duration.ofDays(2), CLOCK);
  private static final CertifiedKey SERVER =
      CA.issueServer("grpc.tf-serving.service.com", List.of("localhost", "127.0.0.1"), KeyAlgorithm.EC_P256, Duration.ofDays(1));
  private static final CertifiedKey CLIENT =
      CA.issueClient("client.tf-serving.service.com", List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(1));

  @TempDir static Path dir;
  static Path caFile;
  static Path otherCaFile;
  static Path serverCertFile;
  static Path clientCertFile;
  static Path clientKeyFile;

  static final FakeServers.Seen ONE_WAY_SEEN = new FakeServers.Seen();
  static final FakeServers.Seen TWO_WAY_SEEN = new FakeServers.Seen();
  static Server oneWay;
  static Server twoWay;

  @BeforeAll
  static void start() throws Exception {
    caFile = write("ca_cert.pem", CA.certificatePem());
    otherCaFile = write("other_ca.pem", OTHER_CA.certificatePem());
    serverCertFile = write("server_cert.pem", SERVER.certificatePem());
    clientCertFile = write("client_cert.pem", CLIENT.certificatePem());
    clientKeyFile = write("client_key.pem", CLIENT.privateKeyPem());
    oneWay = FakeServers.grpc(TlsContexts.server(SERVER.privateKeyPem(), SERVER.chainPem(), null, ClientAuth.NONE, CLOCK), ONE_WAY_SEEN);
    twoWay = FakeServers.grpc(TlsContexts.fromSslConfig(SERVER.privateKeyPem(), SERVER.chainPem(), CA.certificatePem(), true, CLOCK), TWO_WAY_SEEN);
  }

  @AfterAll
  static void stop() throws Exception {
    oneWay.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    twoWay.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private static Path write(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text);
  }

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private LoadReport load(Server server, TlsOptions tls, int cnum, int loop) {
    LoadOptions o = LoadOptions.defaults(Target.parse("localhost:" + server.getPort()))
        .withLoad(cnum, 1, loop).withTls(tls).withOutput(false, false, false);
    return new LoadGenerator(o, new PrintWriter(out, true), new PrintWriter(err, true), CLOCK).run();
  }

  @Test
  void oneWay_caFlagOnly_allSucceedOnSecureChannel() {
    LoadReport r = load(oneWay, new TlsOptions(caFile, null, null, null), 2, 3);
    assertThat(r.succeeded()).isEqualTo(6);
    assertThat(out.toString()).contains("query: secure channel, task 1, batch 1, loop_idx 2, latency(ms) ")
        .contains("{'outputs': {'predict': {'dtype': 'DT_FLOAT', 'tensorShape': {'dim': [{'size': '1'}, {'size': '1001'}]}, 'floatVal': [")
        .contains("'modelSpec': {'name': 'resnet50-v15-fp32', 'version': '1', 'signatureName': 'serving_default'}}");
  }

  @Test
  void oneWay_seedCrtIsServerCert_trustsThatCertificate() {
    LoadReport r = load(oneWay, new TlsOptions(null, serverCertFile, null, null), 1, 2);
    assertThat(r.succeeded()).isEqualTo(2);
  }

  @Test
  void oneWay_wrongCa_failsWithPkixReason() {
    LoadReport r = load(oneWay, new TlsOptions(otherCaFile, null, null, null), 1, 1);
    assertThat(r.succeeded()).isZero();
    assertThat(r.errorsByCode()).containsOnlyKeys("UNAVAILABLE");
    assertThat(r.firstError()).contains("TLS:").contains("PKIX path");
  }

  @Test
  void oneWay_wrongServerName_failsWithNameReason() {
    LoadReport r = load(oneWay, new TlsOptions(caFile, null, null, "evil.example"), 1, 1);
    assertThat(r.succeeded()).isZero();
    assertThat(r.firstError()).contains("No subject alternative DNS name matching evil.example");
  }

  @Test
  void oneWay_serverNameOverride_dialIpVerifyName() {
    LoadOptions o = LoadOptions.defaults(Target.parse("127.0.0.1:" + oneWay.getPort())).withLoad(1, 1, 1)
        .withTls(new TlsOptions(caFile, null, null, "grpc.tf-serving.service.com")).withOutput(true, false, false);
    LoadReport r = new LoadGenerator(o, new PrintWriter(out, true), new PrintWriter(err, true), CLOCK).run();
    assertThat(r.succeeded()).isEqualTo(1);
  }

  @Test
  void twoWay_clientCert_serverSeesClient() {
    LoadReport r = load(twoWay, new TlsOptions(caFile, clientCertFile, clientKeyFile, null), 1, 1);
    assertThat(r.succeeded()).isEqualTo(1);
    assertThat(TWO_WAY_SEEN.clientSubject.get()).isEqualTo("CN=client.tf-serving.service.com");
  }

  @Test
  void twoWay_missingClientCert_failsUnavailableWithClearMessage() {
    LoadReport r = load(twoWay, new TlsOptions(caFile, null, null, null), 1, 1);
    assertThat(r.succeeded()).isZero();
    assertThat(r.errorsByCode()).containsOnlyKeys("UNAVAILABLE");
    assertThat(r.firstError()).startsWith("UNAVAILABLE");
    assertThat(err.toString()).contains("all 1 requests of the measured pass failed; first error: UNAVAILABLE");
  }

  @Test
  void twoWay_clientCertOfOtherCa_fails() throws Exception {
    CertifiedKey stranger = OTHER_CA.issueClient("stranger", List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(1));
    Path crt = write("stranger_cert.pem", stranger.certificatePem());
    Path key = write("stranger_key.pem", stranger.privateKeyPem());
    LoadReport r = load(twoWay, new TlsOptions(caFile, crt, key, null), 1, 1);
    assertThat(r.succeeded()).isZero();
  }

  @Test
  void expiredServerCertificate_clientRejects() throws Exception {
    Clock past = Clock.offset(CLOCK, Duration.ofDays(-10));
    CertificateAuthority oldCa = CertificateAuthority.create("old CA", KeyAlgorithm.EC_P256, Duration.ofDays(30), past);
    CertifiedKey expired = oldCa.issueServer("localhost", List.of(), KeyAlgorithm.EC_P256, Duration.ofDays(1));
    // serve it anyway (the server-side startup check would refuse it): build credentials by hand
    ServerTls valid = TlsContexts.server(expired.privateKeyPem(), expired.chainPem(), null, ClientAuth.NONE, past);
    Server s = FakeServers.grpc(valid, new FakeServers.Seen());
    try {
      Path ca = write("old_ca.pem", oldCa.certificatePem());
      LoadReport r = load(s, new TlsOptions(ca, null, null, null), 1, 1);
      assertThat(r.succeeded()).isZero();
      assertThat(r.firstError()).contains("TLS:");
    } finally {
      s.shutdownNow();
    }
  }

  @Test
  void tlsOptions_crtWithCaButNoKey_refusedBeforeConnecting() {
    assertThatThrownBy(() -> new TlsOptions(caFile, clientCertFile, null, null).toClientTls(CLOCK))
        .isInstanceOf(TlsMaterialException.class).hasMessageContaining("found only -crt");
  }

  @Test
  void plaintext_insecureChannel() throws Exception {
    Server s = FakeServers.grpc(null, new FakeServers.Seen());
    try {
      LoadReport r = load(s, TlsOptions.PLAINTEXT, 1, 1);
      assertThat(r.succeeded()).isEqualTo(1);
      assertThat(out.toString()).contains("query: insecure channel, task 0, batch 1, loop_idx 0, latency(ms) ");
    } finally {
      s.shutdownNow();
    }
  }

  @Test
  void predictClient_modelStatusAndWrongModel() throws Exception {
    var tls = new TlsOptions(caFile, null, null, null).toClientTls(CLOCK).orElseThrow();
    try (PredictClient c = PredictClient.builder(Target.parse("localhost:" + oneWay.getPort())).tls(tls)
        .deadline(Duration.ofSeconds(5)).build()) {
      assertThat(c.getModelStatus(FakeServers.MODEL).getModelVersionStatus(0).getStateValue()).isEqualTo(30);
      var req = tensorflow.serving.Predict.PredictRequest.newBuilder()
          .setModelSpec(tensorflow.serving.Model.ModelSpec.newBuilder().setName("nope")).build();
      assertThatThrownBy(() -> c.predict(req)).isInstanceOf(PredictException.class)
          .satisfies(e -> assertThat(((PredictException) e).code()).isEqualTo("NOT_FOUND"));
    }
  }

  @Test
  void image_top5FromResizedImage() throws Exception {
    BufferedImage img = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
    var g = img.createGraphics();
    g.setColor(new Color(100, 100, 100));
    g.fillRect(0, 0, 640, 480);
    g.dispose();
    Path file = dir.resolve("grey.png");
    ImageIO.write(img, "png", file.toFile());
    LoadOptions o = LoadOptions.defaults(Target.parse("localhost:" + oneWay.getPort())).withLoad(1, 1, 1)
        .withTls(new TlsOptions(caFile, null, null, null)).withOutput(true, false, false)
        .withModel(FakeServers.MODEL, "serving_default", "input", file);
    new LoadGenerator(o, new PrintWriter(out, true), new PrintWriter(err, true), CLOCK).run();
    // mean pixel 100 -> the fake's top class is 101
    assertThat(out.toString()).contains("top-5 (1001 classes; for names give "
            + "-Dccserve.imagenet_labels=FILE with 1001 lines):")
        .contains("  1. " + PyRepr.str(ImageNetLabels.label(101)) + " (index 101) 0.9")
        .contains("  2. " + PyRepr.str(ImageNetLabels.label(102)) + " (index 102) 0.05");
  }

  @Test
  void image_undecodable_failsBeforeConnecting() throws Exception {
    Path bad = write("bad.jpg", "not an image");
    LoadOptions o = LoadOptions.defaults(Target.parse("localhost:1")).withModel(FakeServers.MODEL, "serving_default", "input", bad);
    assertThatThrownBy(() -> new LoadGenerator(o, new PrintWriter(out, true), new PrintWriter(err, true), CLOCK))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected JPEG, PNG, BMP or GIF");
  }

  @Test
  void rest_oneWayTls_sameLoadOverHttps() throws Exception {
    FakeServers.Seen seen = new FakeServers.Seen();
    HttpsServer rest = FakeServers.rest(TlsContexts.server(SERVER.privateKeyPem(), SERVER.chainPem(), null, ClientAuth.NONE, CLOCK), seen);
    try {
      LoadOptions o = LoadOptions.defaults(Target.parse("localhost:1")).withLoad(2, 1, 2)
          .withTls(new TlsOptions(caFile, null, null, null)).withOutput(false, false, false)
          .withRest(true, Target.parse("localhost:" + rest.getAddress().getPort()));
      LoadReport r = new LoadGenerator(o, new PrintWriter(out, true), new PrintWriter(err, true), CLOCK).run();
      assertThat(r.succeeded()).as(out.toString()).isEqualTo(4);
      assertThat(r.transport()).isEqualTo("rest");
      assertThat(seen.requests.get()).isEqualTo(4);
      assertThat(out.toString()).contains("query: secure channel, task 0, batch 1, loop_idx 1").contains("{'outputs': [[");
    } finally {
      rest.stop(0);
    }
  }

  @Test
  void rest_wrongServerName_rejected() throws Exception {
    HttpsServer rest = FakeServers.rest(TlsContexts.server(SERVER.privateKeyPem(), SERVER.chainPem(), null, ClientAuth.NONE, CLOCK), new FakeServers.Seen());
    try {
      LoadOptions o = LoadOptions.defaults(Target.parse("localhost:1")).withLoad(1, 1, 1)
          .withTls(new TlsOptions(caFile, null, null, "evil.example")).withOutput(false, false, false)
          .withRest(true, Target.parse("localhost:" + rest.getAddress().getPort()));
      LoadReport r = new LoadGenerator(o, new PrintWriter(out, true), new PrintWriter(err, true), CLOCK).run();
      assertThat(r.succeeded()).isZero();
      assertThat(r.firstError()).contains("evil.example");
    } finally {
      rest.stop(0);
    }
  }
}
