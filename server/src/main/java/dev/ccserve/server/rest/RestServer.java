package dev.ccserve.server.rest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.ccserve.crypto.tls.ServerTls;
import dev.ccserve.server.Readiness;
import dev.ccserve.server.metrics.ServingMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST port: TF Serving's REST API ({@link RestHandler}) plus Prometheus metrics at
 * {@code /monitoring/prometheus/metrics}, over HTTP or HTTPS (optionally requiring client
 * certificates). Request bodies are capped at {@code maxBodyBytes}. Until the server is ready every
 * API request gets 503 with the reason. A bounded thread pool serves requests.
 */
public final class RestServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RestServer.class);
  public static final String METRICS_PATH = "/monitoring/prometheus/metrics";

  static {
    // The JDK HTTP server leaves Nagle's algorithm on unless told otherwise: a response written
    // in two segments then waits for the client's delayed ACK (up to 40 ms on Linux). Read once,
    // when the JDK's server classes load; an explicit -D setting wins.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final HttpServer server;
  private final ExecutorService pool;

  public RestServer(InetSocketAddress bind, RestHandler handler, ServingMetrics metrics,
      Readiness readiness, Optional<ServerTls> tls, int threads, long maxBodyBytes)
      throws IOException {
    if (tls.isPresent()) {
      HttpsServer s = HttpsServer.create(bind, 256);
      ServerTls t = tls.get();
      s.setHttpsConfigurator(new HttpsConfigurator(t.sslContext()) {
        @Override
        public void configure(HttpsParameters params) {
          // HttpsParameters.setNeedClientAuth alone does not request a certificate on JDK 17;
          // whole SSLParameters with the client-auth mode applied do.
          params.setSSLParameters(t.sslParameters());
        }
      });
      server = s;
    } else {
      server = HttpServer.create(bind, 256);
    }
    pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(4096), r -> {
          Thread t = new Thread(r, "ccserve-rest");
          t.setDaemon(true);
          return t;
        });
    server.setExecutor(pool);
    server.createContext("/", ex -> serve(ex, handler, metrics, readiness, maxBodyBytes));
  }

  private static void serve(HttpExchange ex, RestHandler handler, ServingMetrics metrics,
      Readiness readiness, long maxBodyBytes) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getRawPath();
      String method = ex.getRequestMethod();
      if (METRICS_PATH.equals(path) && "GET".equals(method)) {
        byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", metrics.contentType());
        send(ex, 200, body);
        return;
      }
      RestHandler.Response r;
      if (!readiness.isReady() && path.toLowerCase().startsWith("/v1/")) {
        r = RestHandler.error(503, "ccserve is not ready: " + readiness.reason());
      } else {
        byte[] body = readBody(ex.getRequestBody(), maxBodyBytes);
        r = body == null
            ? RestHandler.error(413, "request body exceeds the limit of " + maxBodyBytes
                + " bytes (--rest_api_max_body_bytes)")
            : handler.handle(method, path, body);
      }
      ex.getResponseHeaders().set("Content-Type", "application/json");
      send(ex, r.status(), r.body().getBytes(StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      log.debug("REST exchange failed: {}", e.toString());
    }
  }

  private static byte[] readBody(InputStream in, long max) throws IOException {
    byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
    return b.length > max ? null : b;
  }

  private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream o = ex.getResponseBody()) {
      o.write(body);
    }
  }

  public void start() {
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
