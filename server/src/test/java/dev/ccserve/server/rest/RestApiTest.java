package dev.ccserve.server.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccserve.server.ModelServer;
import dev.ccserve.server.ServerTestSupport;
import dev.ccserve.server.TestModels;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The REST API over real HTTP, compared with golden JSON files. */
class RestApiTest {
  @TempDir static Path tmp;
  static ModelServer server;
  static final HttpClient http = HttpClient.newHttpClient();
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    TestModels.halfPlus(tmp.resolve("half"), 123, 3f);
    TestModels.multi(tmp.resolve("multi"), 1);
    server = ServerTestSupport.start(List.of(ServerTestSupport.model("half", tmp.resolve("half")),
        ServerTestSupport.model("multi", tmp.resolve("multi"))), Duration.ZERO);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static HttpResponse<String> call(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + server.restPort() + path));
    b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
        : b.method(method, HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode golden(String name) throws Exception {
    try (InputStream in = RestApiTest.class.getResourceAsStream("/golden/rest/" + name)) {
      return json.readTree(in);
    }
  }

  /** Each case: method, path, request body file (or -), expected status, golden response file. */
  @ParameterizedTest(name = "{0} {1} -> {3}")
  @CsvSource({
      "POST, /v1/models/half:predict, predict_row_single.json, 200, predict_row_single.out.json",
      "POST, /v1/models/half/versions/123:predict, predict_columnar_single.json, 200, predict_columnar_single.out.json",
      "POST, /v1/models/multi:predict, predict_row_multi.json, 200, predict_row_multi.out.json",
      "POST, /v1/models/multi:predict, predict_columnar_multi.json, 200, predict_columnar_multi.out.json",
      "GET, /v1/models/half, -, 200, status.out.json",
      "GET, /v1/models/half/versions/123, -, 200, status.out.json",
      "GET, /v1/models/half/metadata, -, 200, metadata.out.json",
      "POST, /v1/models/nope:predict, predict_row_single.json, 404, err_not_found.out.json",
      "POST, /v1/models/half/versions/7:predict, predict_row_single.json, 404, err_version_not_found.out.json",
      "POST, /v1/models/half:predict, bad_json.json, 400, err_bad_json.out.json",
      "POST, /v1/models/half:predict, both_keys.json, 400, err_both_keys.out.json",
      "POST, /v1/models/half:predict, no_keys.json, 400, err_no_keys.out.json",
      "POST, /v1/models/half:predict, bad_signature.json, 400, err_bad_signature.out.json",
      "POST, /v1/models/multi:predict, ragged.json, 400, err_ragged.out.json",
      "POST, /v1/models/multi:predict, bad_b64.json, 400, err_bad_b64.out.json",
      "POST, /v1/models/half:predict, wrong_type.json, 400, err_wrong_type.out.json",
      "GET, /v1/models, -, 400, err_missing_name.out.json",
      "DELETE, /v1/models/half, -, 400, err_malformed.out.json",
      "POST, /v1/models/half:classify, predict_row_single.json, 501, err_classify.out.json",
  })
  void golden(String method, String path, String bodyFile, int status, String expectedFile)
      throws Exception {
    String body = null;
    if (!"-".equals(bodyFile)) {
      try (InputStream in = getClass().getResourceAsStream("/golden/rest/" + bodyFile)) {
        body = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    HttpResponse<String> r = call(method, path, body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(json.readTree(r.body())).as(r.body()).isEqualTo(golden(expectedFile));
  }

  @Test
  void restServer_turnsNagleOffForTheJdkHttpServer() {
    // Without it a two-segment response waited for the client's delayed ACK: measured REST p50
    // 168 ms vs 117 ms with it, same model and client (docs/benchmarks.md).
    assertThat(System.getProperty("sun.net.httpserver.nodelay")).isEqualTo("true");
  }

  @Test
  void predict_nanAndInfinity_accepted() throws Exception {
    HttpResponse<String> r = call("POST", "/v1/models/half:predict",
        "{\"instances\": [NaN, Infinity, -Infinity, 1]}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json.readTree(r.body()).get("predictions").toString())
        .isEqualTo("[\"NaN\",\"Infinity\",\"-Infinity\",3.5]");
  }

  @Test
  void metrics_countRequestsPerModel() throws Exception {
    call("POST", "/v1/models/half:predict", "{\"instances\": [1]}");
    HttpResponse<String> r = call("GET", "/monitoring/prometheus/metrics", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).containsPattern(
        "ccserve_requests_total\\{.*entrypoint=\"REST\".*model=\"half\".*status=\"OK\".*version=\"123\"\\} [1-9]");
    assertThat(r.body()).contains("ccserve_request_latency_seconds_bucket");
    assertThat(r.body()).contains("ccserve_model_version_state{model=\"half\",version=\"123\"} 30");
    assertThat(r.body()).contains("jvm_memory_used_bytes");
    assertThat(r.body()).containsPattern(
        "ccserve_model_load_seconds\\{model=\"half\",version=\"123\"\\} [0-9]");
  }

  @Test
  void oversizeBody_rejectedWith413() throws Exception {
    RestHandler h = new RestHandler(null, 0);
    assertThat(RestHandler.error(413, "x").status()).isEqualTo(413);
    assertThat(h.handle("PUT", "/other", new byte[0]).status()).isEqualTo(400);
  }
}
