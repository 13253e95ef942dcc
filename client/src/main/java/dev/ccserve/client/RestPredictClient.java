package dev.ccserve.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.crypto.tls.ClientTls;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;

/**
 * A TF Serving REST client ({@code /v1/models/{m}:predict}, {@code /v1/models/{m}},
 * {@code /v1/models/{m}/metadata}) over {@code java.net.http.HttpClient} with HTTP/1.1; one
 * instance keeps its own connection pool, so one instance per simulated connection. TLS and host
 * name verification work as for {@link PredictClient}: with a server-name override the
 * certificate is checked against the override (by the {@link ClientTls} trust manager) and the
 * override is sent as SNI. HTTP errors become {@link PredictException} with TF Serving's HTTP
 * status mapped back to a canonical code. Thread-safe.
 */
public final class RestPredictClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final String base;
  private final Duration deadline;

  private RestPredictClient(Target target, ClientTls tls, Duration deadline) {
    HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10));
    if (tls != null) {
      b.sslContext(tls.sslContext());
      SSLParameters p = tls.sslContext().getDefaultSSLParameters();
      tls.serverNameOverride().ifPresent(n -> p.setServerNames(List.of(new SNIHostName(n))));
      b.sslParameters(p);
    }
    this.http = b.build();
    this.base = (tls == null ? "http://" : "https://") + target.authority();
    this.deadline = deadline;
  }

  /** {@code tls} null means plain HTTP; {@code deadline} null means no request timeout. */
  public static RestPredictClient create(Target target, ClientTls tls, Duration deadline) {
    return new RestPredictClient(Objects.requireNonNull(target, "target"), tls, deadline);
  }

  /** The JSON request body for one named input tensor (TF Serving "columnar" format). */
  public static String predictBody(String signature, String input, TensorProto tensor) {
    return "{\"signature_name\":" + quote(signature) + ",\"inputs\":{" + quote(input) + ":"
        + ResnetInputs.toJsonList(tensor) + "}}";
  }

  /** POSTs a prepared predict body; returns the parsed JSON response. */
  public JsonNode predict(String model, String body) {
    HttpRequest.Builder r = HttpRequest.newBuilder(uri("/v1/models/" + enc(model) + ":predict"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    return send(r);
  }

  public JsonNode getModelStatus(String model) {
    return send(HttpRequest.newBuilder(uri("/v1/models/" + enc(model))).GET());
  }

  public JsonNode getModelMetadata(String model) {
    return send(HttpRequest.newBuilder(uri("/v1/models/" + enc(model) + "/metadata")).GET());
  }

  private JsonNode send(HttpRequest.Builder r) {
    if (deadline != null) {
      r.timeout(deadline);
    }
    HttpResponse<byte[]> resp;
    try {
      resp = http.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (java.net.http.HttpTimeoutException e) {
      throw new PredictException("DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED: no REST response within " + deadline, e);
    } catch (IOException e) {
      String tls = GrpcErrors.tlsReason(e);
      throw new PredictException("UNAVAILABLE", "UNAVAILABLE: " + base + ": " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " " + e.getMessage()) + (tls == null ? "" : " (TLS: " + tls + ")"), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PredictException("CANCELLED", "CANCELLED: interrupted", e);
    }
    JsonNode json;
    try {
      json = JSON.readTree(resp.body());
    } catch (IOException e) {
      json = null;
    }
    if (resp.statusCode() != 200) {
      String code = codeFor(resp.statusCode());
      String err = json != null && json.has("error") ? json.get("error").asText() : "HTTP " + resp.statusCode();
      throw new PredictException(code, code + ": " + err, null);
    }
    if (json == null) {
      throw new PredictException("INTERNAL", "INTERNAL: response body is not JSON", null);
    }
    return json;
  }

  /** TF Serving's HTTP status table read backwards. */
  static String codeFor(int http) {
    return switch (http) {
      case 400 -> "INVALID_ARGUMENT";
      case 401 -> "UNAUTHENTICATED";
      case 403 -> "PERMISSION_DENIED";
      case 404 -> "NOT_FOUND";
      case 409 -> "ALREADY_EXISTS";
      case 429 -> "RESOURCE_EXHAUSTED";
      case 499 -> "CANCELLED";
      case 501 -> "UNIMPLEMENTED";
      case 503 -> "UNAVAILABLE";
      case 504 -> "DEADLINE_EXCEEDED";
      default -> http >= 500 ? "INTERNAL" : "UNKNOWN";
    };
  }

  private URI uri(String path) {
    return URI.create(base + path);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    // HttpClient has no close() before Java 21; dropping the reference releases its pool.
  }
}
