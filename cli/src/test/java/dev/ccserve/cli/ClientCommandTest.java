package dev.ccserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import dev.ccserve.crypto.tls.ServerTls;
import dev.ccserve.crypto.tls.TlsContexts;
import io.grpc.Grpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionServiceGrpc;
import tensorflow.serving.SslConfig.SSLConfig;

/** {@code ccserve tls} output driving {@code ccserve client} against a TLS gRPC server wired from ssl.cfg. */
class ClientCommandTest {
  static final Pattern QUERY = Pattern.compile(
      "^query: secure channel, task (\\d+), batch (\\d+), loop_idx (\\d+), latency\\(ms\\) (\\d+\\.\\d), tps: (\\d+\\.\\d)$");
  static final Pattern SUMMARY = Pattern.compile(
      "^summary: cnum 1, batch 1, e2e time\\(s\\) [0-9.e+-]+, average latency\\(ms\\) [0-9.e+-]+, tps: [0-9.e+-]+$");

  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();
  Server server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.shutdownNow();
    }
  }

  int run(String... args) {
    return new Main(new PrintWriter(out, true), new PrintWriter(err, true)).run(args);
  }

  /** Starts a gRPC server configured from ssl.cfg the way the model server does. */
  void serve(Path dir) throws Exception {
    SSLConfig cfg = TlsCommandTest.parse(dir.resolve("ssl.cfg"));
    ServerTls tls = TlsContexts.fromSslConfig(cfg.getServerKey(), cfg.getServerCert(), cfg.getCustomCa(), cfg.getClientVerify(), Clock.systemUTC());
    TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(tls.keyManager())
        .clientAuth(TlsServerCredentials.ClientAuth.valueOf(tls.clientAuth().name()));
    tls.trustManager().ifPresent(b::trustManager);
    server = Grpc.newServerBuilderForPort(0, b.build()).addService(new PredictionServiceGrpc.PredictionServiceImplBase() {
      @Override
      public void predict(PredictRequest req, StreamObserver<PredictResponse> obs) {
        TensorProto in = req.getInputsOrDefault("input", TensorProto.getDefaultInstance());
        if (in.getTensorContent().size() != 224 * 224 * 3 * 4 * in.getTensorShape().getDim(0).getSize()) {
          obs.onError(Status.INVALID_ARGUMENT.withDescription("bad input").asRuntimeException());
          return;
        }
        obs.onNext(PredictResponse.newBuilder()
            .putOutputs("predict", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
                .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(1))
                    .addDim(TensorShapeProto.Dim.newBuilder().setSize(2)))
                .addFloatVal(0.75f).addFloatVal(0.25f).build())
            .setModelSpec(ModelSpec.newBuilder().setName(req.getModelSpec().getName())).build());
        obs.onCompleted();
      }
    }).build().start();
  }

  @Test
  void client_oneWayLayoutWithSeedCrt_printsSeedLines(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("ssl_configure");
    assertThat(run("tls", "oneway", "localhost", "--out", dir.toString())).isZero();
    serve(dir);
    out.getBuffer().setLength(0);
    int code = run("client", "-url", "localhost:" + server.getPort(), "-crt", dir.resolve("server/cert.pem").toString(),
        "-batch", "1", "-cnum", "1", "-loop", "3", "--json", tmp.resolve("r.json").toString());
    assertThat(code).as(err.toString()).isZero();
    var lines = out.toString().lines().toList();
    assertThat(lines.stream().filter(l -> QUERY.matcher(l).matches())).hasSize(5 + 3);
    assertThat(lines.stream().filter(l -> SUMMARY.matcher(l).matches())).hasSize(2);
    assertThat(lines).contains("{'outputs': {'predict': {'dtype': 'DT_FLOAT', 'tensorShape': {'dim': [{'size': '1'}, "
        + "{'size': '2'}]}, 'floatVal': [0.75, 0.25]}}, 'modelSpec': {'name': 'resnet50-v15-fp32'}}");
    var report = new ObjectMapper().readTree(tmp.resolve("r.json").toFile());
    assertThat(report.get("requests").asInt()).isEqualTo(3);
    assertThat(report.get("secure").asBoolean()).isTrue();
  }

  @Test
  void client_twoWayLayout_mutualTlsAndMissingClientCertFails(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("ssl_configure");
    assertThat(run("tls", "twoway", "localhost", "client.test", "--out", dir.toString())).isZero();
    serve(dir);
    String url = "localhost:" + server.getPort();
    assertThat(run("client", "-url", url, "-ca", dir.resolve("ca_cert.pem").toString(),
        "-crt", dir.resolve("client/cert.pem").toString(), "-key", dir.resolve("client/key.pem").toString(),
        "-cnum", "2", "-loop", "2", "--quiet", "--no_warmup")).as(err.toString()).isZero();
    assertThat(out.toString()).doesNotContain("query:").contains("summary: cnum 2, batch 1");
    assertThat(run("client", "-url", url, "-ca", dir.resolve("ca_cert.pem").toString(), "-cnum", "1", "-loop", "1",
        "--no_warmup")).isEqualTo(1);
    assertThat(out.toString()).contains("Error response: UNAVAILABLE").contains("errors: 1 (UNAVAILABLE 1)");
    assertThat(err.toString()).contains("requests of the measured pass failed");
  }

  @Test
  void client_badFlags_usageErrors(@TempDir Path tmp) {
    assertThat(run("client", "-url", "nohostport")).isEqualTo(2);
    assertThat(err.toString()).contains("expected host:port");
    assertThat(run("client", "-url", "localhost:1", "-ca", tmp.resolve("missing.pem").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("cannot read -ca file");
    assertThat(ClientCommand.parseDuration("90s")).hasSeconds(90);
    assertThat(ClientCommand.parseDuration("2m")).hasMinutes(2);
    assertThat(ClientCommand.parseDuration("1.5")).hasMillis(1500);
  }
}
