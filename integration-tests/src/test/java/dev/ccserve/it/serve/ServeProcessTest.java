package dev.ccserve.it.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccserve.client.PredictClient;
import dev.ccserve.client.Target;
import dev.ccserve.crypto.tls.TlsContexts;
import dev.ccserve.it.ProcessSupport;
import dev.ccserve.it.ProcessSupport.Result;
import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;

/**
 * A real {@code ccserve serve} process with two-way TLS on both ports (from {@code ccserve tls
 * twoway}), exercised with real curl and openssl, the gRPC client library, and {@code ccserve
 * client}.
 */
class ServeProcessTest {
  static final String SERVER = "grpc.tf-serving.service.com";
  static final String MODEL = "resnet50-v15-fp32";
  @TempDir static Path tmp;
  static ProcessSupport procs;
  static int grpc;
  static int rest;
  static Path tls;

  @BeforeAll
  static void start() throws Exception {
    procs = new ProcessSupport();
    Result g = ProcessSupport.cli("model", "generate", "tiny", "--export_dir",
        tmp.resolve(MODEL).toString());
    assertThat(g.exitCode()).as(g.err()).isZero();
    tls = tmp.resolve("ssl_configure");
    Result t = ProcessSupport.cli("tls", "twoway", SERVER, "client.tf-serving.service.com",
        "--out", tls.toString());
    assertThat(t.exitCode()).as(t.err()).isZero();
    grpc = ProcessSupport.freePort();
    rest = ProcessSupport.freePort();
    Path log = tmp.resolve("serve.log");
    Process p = procs.start(log, "serve", "--model_name", MODEL, "--model_base_path",
        tmp.resolve(MODEL).toString(), "--port", Integer.toString(grpc), "--rest_api_port",
        Integer.toString(rest), "--bind_address", "127.0.0.1", "--ssl_config_file",
        tls.resolve("ssl.cfg").toString(), "--tensorflow_intra_op_parallelism", "1");
    ProcessSupport.awaitLog(p, log, "Entering the event loop", 240);
  }

  @AfterAll
  static void stop() throws Exception {
    procs.close();
  }

  static PredictClient mtlsClient() throws Exception {
    return PredictClient.builder(Target.parse("127.0.0.1:" + grpc))
        .tls(TlsContexts.client(Files.readString(tls.resolve("ca_cert.pem")),
            Files.readString(tls.resolve("client/key.pem")),
            Files.readString(tls.resolve("client/cert.pem")), SERVER, Clock.systemUTC()))
        .serverName(SERVER).build();
  }

  String[] curl(String... extra) {
    String[] base = {"curl", "-sS", "--max-time", "60", "--resolve",
        SERVER + ":" + rest + ":127.0.0.1"};
    String[] out = new String[base.length + extra.length];
    System.arraycopy(base, 0, out, 0, base.length);
    System.arraycopy(extra, 0, out, base.length, extra.length);
    return out;
  }

  @Test
  void grpcAndCurlRest_giveIdenticalPredictions() throws Exception {
    assumeTrue(ProcessSupport.onPath("curl"), "curl is not installed; apt-get install curl");
    float[] pixels = new float[224 * 224 * 3];
    Random r = new Random(7);
    StringBuilder json = new StringBuilder("{\"inputs\": [[");
    TensorProto.Builder t = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(TensorShapeProto.newBuilder()
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(1))
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(224))
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(224))
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(3)));
    for (int y = 0; y < 224; y++) {
      json.append(y == 0 ? "[" : ",[");
      for (int x = 0; x < 224; x++) {
        json.append(x == 0 ? "[" : ",[");
        for (int c = 0; c < 3; c++) {
          int v = r.nextInt(255);
          pixels[(y * 224 + x) * 3 + c] = v;
          t.addFloatVal(v);
          json.append(c == 0 ? "" : ",").append(v);
        }
        json.append(']');
      }
      json.append(']');
    }
    json.append("]]}");
    Path body = tmp.resolve("req.json");
    Files.writeString(body, json);
    Result c = ProcessSupport.exec(tmp, null, curl("--cacert", tls.resolve("ca_cert.pem")
        .toString(), "--cert", tls.resolve("client/cert.pem").toString(), "--key",
        tls.resolve("client/key.pem").toString(), "-X", "POST", "--data-binary", "@" + body,
        "https://" + SERVER + ":" + rest + "/v1/models/" + MODEL + ":predict"));
    assertThat(c.exitCode()).as(c.err()).isZero();
    JsonNode restOut = new ObjectMapper().readTree(c.out()).get("outputs").get(0);
    try (PredictClient client = mtlsClient()) {
      var resp = client.predict(PredictRequest.newBuilder()
          .setModelSpec(ModelSpec.newBuilder().setName(MODEL)).putInputs("input", t.build())
          .build());
      var grpcOut = resp.getOutputsOrThrow("predict").getFloatValList();
      assertThat(grpcOut).hasSize(1001);
      assertThat(restOut.size()).isEqualTo(1001);
      for (int i = 0; i < 1001; i++) {
        // REST prints floats with the shortest digits that round-trip to the same float.
        assertThat((float) restOut.get(i).asDouble()).isEqualTo(grpcOut.get(i));
      }
    }
  }

  @Test
  void curl_withoutClientCertificate_isRefusedAtHandshake() throws Exception {
    assumeTrue(ProcessSupport.onPath("curl"), "curl is not installed; apt-get install curl");
    Result c = ProcessSupport.exec(tmp, null, curl("--cacert", tls.resolve("ca_cert.pem")
        .toString(), "https://" + SERVER + ":" + rest + "/v1/models/" + MODEL));
    assertThat(c.exitCode()).isNotZero();
    Result ok = ProcessSupport.exec(tmp, null, curl("--cacert", tls.resolve("ca_cert.pem")
        .toString(), "--cert", tls.resolve("client/cert.pem").toString(), "--key",
        tls.resolve("client/key.pem").toString(),
        "https://" + SERVER + ":" + rest + "/v1/models/" + MODEL));
    assertThat(ok.exitCode()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("\"AVAILABLE\"");
  }

  @Test
  void opensslSClient_seesServerCertAndClientCertRequestOnBothPorts() throws Exception {
    assumeTrue(ProcessSupport.onPath("openssl"), "openssl is not installed");
    for (int port : new int[] {grpc, rest}) {
      Result s = ProcessSupport.exec(tmp, "Q\n", "openssl", "s_client", "-connect",
          "127.0.0.1:" + port, "-servername", SERVER, "-CAfile",
          tls.resolve("ca_cert.pem").toString(), "-cert", tls.resolve("client/cert.pem")
              .toString(), "-key", tls.resolve("client/key.pem").toString(), "-verify_return_error",
          "-verify_hostname", SERVER, "-brief");
      String all = s.out() + s.err();
      assertThat(all).as(all).contains("Verification: OK");
      assertThat(all).containsPattern("Peer certificate: .*CN ?= ?" + SERVER.replace(".", "\\."));
    }
  }

  @Test
  void seedClient_printsQueryAndSummaryLines() throws Exception {
    Result r = ProcessSupport.cli("client", "-url", "127.0.0.1:" + grpc, "--server_name", SERVER,
        "-ca", tls.resolve("ca_cert.pem").toString(), "-crt",
        tls.resolve("client/cert.pem").toString(), "-key", tls.resolve("client/key.pem")
            .toString(), "-batch", "1", "-cnum", "1", "-loop", "3");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).containsPattern(
        "query: secure channel, task 0, batch 1, loop_idx 2, latency\\(ms\\) [0-9.]+, tps: [0-9.]+");
    assertThat(r.out()).containsPattern(
        "summary: cnum 1, batch 1, e2e time\\(s\\) [0-9.E-]+, average latency\\(ms\\) [0-9.E-]+, tps: [0-9.E-]+");
  }

  @Test
  void seedClient_withoutClientCertificate_failsClearly() throws Exception {
    Result r = ProcessSupport.cli("client", "-url", "127.0.0.1:" + grpc, "--server_name", SERVER,
        "-crt", tls.resolve("ca_cert.pem").toString(), "-batch", "1", "-cnum", "1", "-loop", "1");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.out() + r.err()).containsIgnoringCase("certificate");
  }
}
