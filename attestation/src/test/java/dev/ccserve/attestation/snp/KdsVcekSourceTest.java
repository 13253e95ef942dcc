package dev.ccserve.attestation.snp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpServer;
import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a local HTTP server standing in for AMD KDS (no internet access in tests). */
class KdsVcekSourceTest {
  HttpServer server;
  final List<String> requests = new ArrayList<>();
  int status = 200;

  @BeforeEach
  void start() throws Exception {
    byte[] vcek = SnpTestData.snp("vcek.testcer");
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/vcek/v1/", ex -> {
      requests.add(ex.getRequestURI().toString());
      byte[] body = status == 200 ? vcek : new byte[0];
      ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        ex.getResponseBody().write(body);
      }
      ex.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  KdsVcekSource source(Path cache) {
    return new KdsVcekSource(HttpClient.newHttpClient(),
        URI.create("http://127.0.0.1:" + server.getAddress().getPort()), SnpProduct.MILAN, cache, Duration.ofSeconds(5));
  }

  @Test
  void verify_vcekFromKds_requestsKdsPathAndCaches(@TempDir Path cache) throws Exception {
    SnpVerifier v = SnpVerifier.builder().clock(SnpVerifierTest.at(SnpVerifierTest.PINNED)).vcekSource(source(cache)).build();

    v.verify(SnpVerifierTest.realEvidence());
    v.verify(SnpVerifierTest.realEvidence());

    assertThat(requests).containsExactly(
        "/vcek/v1/Milan/" + SnpVerifierTest.CHIP_ID + "?blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68");
  }

  @Test
  void endorsementKey_kdsRateLimited_collateralUnavailable() throws Exception {
    status = 429;
    SnpReport report = SnpReport.parse(SnpTestData.snp("attestation.bin"));

    AttestationException e = catchThrowableOfType(AttestationException.class, () -> source(null).endorsementKey(report));

    assertThat(e.reason()).isEqualTo(Reason.COLLATERAL_UNAVAILABLE);
    assertThat(e.getMessage()).contains("429");
  }
}
