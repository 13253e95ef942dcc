package dev.ccserve.server.modelgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.types.TFloat32;

class ModelFetcherTest {
  @TempDir Path dir;
  private HttpServer server;
  private byte[] fixture;
  private String fixtureSha256;
  private final ModelFetcher fetcher =
      new ModelFetcher(
          HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(),
          Duration.ofSeconds(10),
          Duration.ofSeconds(30),
          1L << 20,
          new GraphDefConverter());

  @BeforeEach
  void startServer() throws Exception {
    fixture = Files.readAllBytes(FrozenGraphFixture.write(dir.resolve("fixture.pb")));
    fixtureSha256 =
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(fixture));
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      try (exchange) {
        if (exchange.getRequestURI().getPath().equals("/models/resnet.pb")) {
          exchange.sendResponseHeaders(200, fixture.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(fixture);
          }
        } else {
          exchange.sendResponseHeaders(404, -1);
        }
      }
    });
    server.start();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  @Test
  void fetch_matchingSha256_convertsAndReturnsDigest() throws Exception {
    Path export = dir.resolve("models/resnet50-v15-fp32");

    FetchedModel fetched =
        fetcher.fetch(url("/models/resnet.pb"), export, Optional.of(fixtureSha256.toUpperCase()));

    assertThat(fetched.sha256()).isEqualTo(fixtureSha256);
    assertThat(fetched.bytes()).isEqualTo(fixture.length);
    assertThat(fetched.model().versionDir()).isEqualTo(export.resolve("1"));
    try (SavedModelBundle bundle = TfTestSupport.load(export.resolve("1"));
        TFloat32 in = FrozenGraphFixture.input(2, 4)) {
      assertThat(TfTestSupport.runFloats(bundle, "input", in, "predict"))
          .isEqualTo(FrozenGraphFixture.runOriginal(in));
    }
    assertThat(listNames(export)).containsExactly("1");
  }

  @Test
  void fetch_withoutSha256_stillReportsDigest() throws Exception {
    FetchedModel fetched = fetcher.fetch(url("/models/resnet.pb"), dir.resolve("m"),
        Optional.empty());

    assertThat(fetched.sha256()).isEqualTo(fixtureSha256);
  }

  @Test
  void fetch_sha256Mismatch_throwsAndWritesNothing() throws Exception {
    String wrong = "00" + fixtureSha256.substring(2);
    Path export = dir.resolve("m");

    assertThatThrownBy(() -> fetcher.fetch(url("/models/resnet.pb"), export, Optional.of(wrong)))
        .isInstanceOf(ModelToolException.class)
        .hasMessageContaining("SHA-256 mismatch")
        .hasMessageContaining("expected " + wrong)
        .hasMessageContaining("got " + fixtureSha256);
    assertThat(listNames(export)).isEmpty();
  }

  @Test
  void fetch_http404_throwsWithStatus() {
    assertThatThrownBy(() -> fetcher.fetch(url("/missing.pb"), dir.resolve("m"), Optional.empty()))
        .isInstanceOf(ModelToolException.class)
        .hasMessageContaining("cannot download " + url("/missing.pb"))
        .hasMessageContaining("HTTP 404");
  }

  @Test
  void fetch_malformedSha256_isRejectedBeforeDownloading() {
    assertThatThrownBy(
            () -> fetcher.fetch(url("/models/resnet.pb"), dir.resolve("m"), Optional.of("abc")))
        .isInstanceOf(ModelToolException.class)
        .hasMessageContaining("64 hex digits");
  }

  @Test
  void fetch_seedUrlWithoutInternet_explainsOfflineAlternative() {
    assumeTrue(unresolvable(ModelFetcher.SEED_RESNET50_URI.getHost()),
        "this machine resolves storage.googleapis.com; not downloading 100 MB in a unit test");

    assertThatThrownBy(
            () -> fetcher.fetch(ModelFetcher.SEED_RESNET50_URI, dir.resolve("m"), Optional.empty()))
        .isInstanceOf(ModelToolException.class)
        .hasMessageStartingWith("cannot download " + ModelFetcher.SEED_RESNET50_URI + ": ")
        .hasMessageContaining("unknown host storage.googleapis.com")
        .hasMessageEndingWith("ccserve model fetch needs internet access"
            + " — use 'ccserve model generate resnet50' offline");
  }

  @Test
  void fetch_connectionRefused_explainsOfflineAlternative() throws Exception {
    URI closed = url("/models/resnet.pb");
    server.stop(0);

    assertThatThrownBy(() -> fetcher.fetch(closed, dir.resolve("m"), Optional.empty()))
        .isInstanceOf(ModelToolException.class)
        .hasMessageContaining("cannot download " + closed)
        .hasMessageContaining("needs internet access");
  }

  private static boolean unresolvable(String host) {
    try {
      InetAddress.getByName(host);
      return false;
    } catch (UnknownHostException e) {
      return true;
    }
  }

  private static java.util.List<String> listNames(Path dir) throws Exception {
    if (!Files.exists(dir)) {
      return java.util.List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }
}
