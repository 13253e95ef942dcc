package dev.ccserve.attestation.dcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceClaims;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.TcbStatus;
import dev.ccserve.attestation.testing.TestData;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Serves the set A collateral in PCS v4 form from a local JDK HttpServer. */
class PcsCollateralSourceTest {
  private HttpServer server;
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private DcapCollateral col;
  private URI base;


  @BeforeEach
  void start() throws Exception {
    col = DcapCollateral.fromJson(TestData.text("dcap/sgx_quote_collateral.json"));
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
    base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String query = ex.getRequestURI().getQuery();
    requests.add(path + (query == null ? "" : "?" + query));
    byte[] body;
    switch (path) {
      case "/sgx/certification/v4/pckcrl":
        if (query == null || !query.contains("ca=processor")) {
          send(ex, 404, new byte[0]);
          return;
        }
        ex.getResponseHeaders().add("SGX-PCK-CRL-Issuer-Chain", enc(col.pckCrlIssuerChain()));
        body = col.pckCrl();
        break;
      case "/sgx/certification/v4/rootcacrl":
        body = HexFormat.of().formatHex(col.rootCaCrl()).getBytes(StandardCharsets.US_ASCII);
        break;
      case "/sgx/certification/v4/tcb":
        if (query == null || !query.contains("fmspc=00A067110000")) {
          send(ex, 404, new byte[0]);
          return;
        }
        ex.getResponseHeaders().add("TCB-Info-Issuer-Chain", enc(col.tcbInfoIssuerChain()));
        body = ("{\"tcbInfo\":" + col.tcbInfo() + ",\"signature\":\""
            + HexFormat.of().formatHex(col.tcbInfoSignature()) + "\"}").getBytes(StandardCharsets.UTF_8);
        break;
      case "/sgx/certification/v4/qe/identity":
        ex.getResponseHeaders().add("SGX-Enclave-Identity-Issuer-Chain", enc(col.qeIdentityIssuerChain()));
        body = ("{\"enclaveIdentity\":" + col.qeIdentity() + ",\"signature\":\""
            + HexFormat.of().formatHex(col.qeIdentitySignature()) + "\"}").getBytes(StandardCharsets.UTF_8);
        break;
      default:
        send(ex, 404, new byte[0]);
        return;
    }
    send(ex, 200, body);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static void send(HttpExchange ex, int code, byte[] body) throws IOException {
    ex.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
    try (OutputStream o = ex.getResponseBody()) {
      o.write(body);
    }
  }

  @Test
  void verify_setAViaPccs_sameResultAsFileBundle_andCached() throws Exception {
    MutableClock clock = new MutableClock(DcapQuoteVerifierTest.AB_AT);
    PcsCollateralSource pcs = PcsCollateralSource.pccs(base, HttpClient.newHttpClient(), clock);
    DcapQuoteVerifier v = DcapQuoteVerifier.intelPinned(pcs, clock);
    Evidence e = Evidence.of(EvidenceFormat.SGX_QUOTE_V3, TestData.bytes("dcap/sgx_quote"));
    EvidenceClaims c = v.verify(e);
    assertThat(c.tcbStatus()).isEqualTo(TcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED);
    assertThat(c.advisoryIds()).containsExactly("INTEL-SA-00289", "INTEL-SA-00615");
    assertThat(requests).hasSize(4)
        .anyMatch(r -> r.startsWith("/sgx/certification/v4/pckcrl?ca=processor"))
        .anyMatch(r -> r.equals("/sgx/certification/v4/tcb?fmspc=00A067110000"));
    v.verify(e);
    assertThat(requests).as("second verification served from cache").hasSize(4);
    // Past the QE identity's nextUpdate: items that expired are fetched again.
    clock.now = Instant.parse("2025-07-19T10:01:19Z");
    assertThatThrownBy(() -> v.verify(e)).isInstanceOfSatisfying(AttestationException.class,
        ex -> assertThat(ex.reason()).isEqualTo(Reason.COLLATERAL_EXPIRED));
    assertThat(requests.size()).isGreaterThan(4);
  }

  @Test
  void collateral_serverDown_collateralUnavailable() throws Exception {
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    URI down = URI.create("http://127.0.0.1:" + closedPort);
    PcsCollateralSource pcs = PcsCollateralSource.pccs(down, HttpClient.newHttpClient(),
        Clock.fixed(DcapQuoteVerifierTest.AB_AT, ZoneOffset.UTC));
    assertThatThrownBy(() -> pcs.collateral(new CollateralRequest(
        dev.ccserve.attestation.TeeType.SGX, "00A067110000", CollateralRequest.PckCa.PROCESSOR)))
        .isInstanceOfSatisfying(AttestationException.class,
            ex -> assertThat(ex.reason()).isEqualTo(Reason.COLLATERAL_UNAVAILABLE));
  }

  @Test
  void collateral_unknownFmspc_collateralUnavailable() {
    PcsCollateralSource pcs = PcsCollateralSource.pccs(base, HttpClient.newHttpClient(),
        Clock.fixed(DcapQuoteVerifierTest.AB_AT, ZoneOffset.UTC));
    assertThatThrownBy(() -> pcs.collateral(new CollateralRequest(
        dev.ccserve.attestation.TeeType.SGX, "B0C06F000000", CollateralRequest.PckCa.PROCESSOR)))
        .isInstanceOfSatisfying(AttestationException.class, ex -> {
          assertThat(ex.reason()).isEqualTo(Reason.COLLATERAL_UNAVAILABLE);
          assertThat(ex.getMessage()).contains("404");
        });
  }
}
