package dev.ccserve.server.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccserve.server.ModelServer;
import dev.ccserve.server.ServerTestSupport;
import dev.ccserve.server.ServingApi;
import dev.ccserve.server.TestModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The streaming REST body reader: key order, raggedness, dtypes, and malformed bodies. */
class RestStreamingTest {
  @TempDir static Path tmp;
  static ModelServer server;
  static RestHandler handler;
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    TestModels.halfPlus(tmp.resolve("half"), 1, 3f);
    TestModels.multi(tmp.resolve("multi"), 1);
    server = ServerTestSupport.start(List.of(ServerTestSupport.model("half", tmp.resolve("half")),
        ServerTestSupport.model("multi", tmp.resolve("multi"))), Duration.ZERO);
    handler = new RestHandler(new ServingApi(server.core(), server.metrics(),
        ServingApi.direct()), 0);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static RestHandler.Response post(String model, String body) {
    return handler.handle("POST", "/v1/models/" + model + ":predict",
        body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void signatureNameAfterValues_isHonoured() throws Exception {
    var r = post("multi", "{\"instances\": [[1, 2, 3]], \"signature_name\": \"double_only\"}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(json.readTree(r.body()).get("predictions").toString()).isEqualTo("[[2.0,4.0,6.0]]");
  }

  @Test
  void raggedWithinOneValue_isInvalidArgument() {
    var r = post("multi", "{\"inputs\": {\"x\": [[1, 2, 3], [4, 5]], \"k\": [1, 2], \"s\": [\"a\", \"b\"]}}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).contains("is ragged");
    var deeper = post("multi", "{\"inputs\": {\"x\": [[1, 2, [3]]], \"k\": [1], \"s\": [\"a\"]}}");
    assertThat(deeper.status()).isEqualTo(400);
    assertThat(deeper.body()).contains("is ragged");
  }

  @Test
  void integerInputs_rangeAndTypeChecked() {
    var frac = post("multi", "{\"inputs\": {\"x\": [[1, 2, 3]], \"k\": [1.5], \"s\": [\"a\"]}}");
    assertThat(frac.status()).isEqualTo(400);
    assertThat(frac.body()).contains("expected an integer, found number");
    var big = post("multi", "{\"inputs\": {\"x\": [[1, 2, 3]], \"k\": [9007199254740993], \"s\": [\"a\"]}}");
    assertThat(big.status()).as(big.body()).isEqualTo(200);
    assertThat(big.body()).contains("9007199254740994");
  }

  @Test
  void malformedBodies_areClear() {
    assertThat(post("half", "[1, 2]").body()).contains("Is not an object");
    assertThat(post("half", "{\"instances\": [1]} trailing").status()).isEqualTo(400);
    assertThat(post("half", "{\"instances\": 5}").body())
        .contains("Expecting 'instances' to be an non-empty list");
    assertThat(post("half", "{\"instances\": []}").body())
        .contains("Expecting 'instances' to be an non-empty list");
    assertThat(post("half", "{\"signature_name\": 3, \"instances\": [1]}").body())
        .contains("'signature_name' key must be a string value.");
    assertThat(post("half", "{\"instances\": [true]}").body())
        .contains("expected a number, found boolean");
  }

  @Test
  void largeImageBatch_roundTripsThroughTensorContent() throws Exception {
    StringBuilder sb = new StringBuilder("{\"instances\": [");
    int n = 50_000;
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "" : ",").append(i % 7);
    }
    sb.append("]}");
    var r = post("half", sb.toString());
    assertThat(r.status()).isEqualTo(200);
    var preds = json.readTree(r.body()).get("predictions");
    assertThat(preds.size()).isEqualTo(n);
    assertThat(preds.get(13).asDouble()).isEqualTo(0.5 * (13 % 7) + 3);
  }
}
