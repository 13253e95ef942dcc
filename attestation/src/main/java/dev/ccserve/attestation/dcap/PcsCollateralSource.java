package dev.ccserve.attestation.dcap;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.TeeType;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509CRL;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Collateral from Intel PCS v4 or a PCCS over HTTP(S) (reference §5.1), with an in-memory cache.
 *
 * <p>Requests: {@code {base}/sgx/certification/v4/pckcrl?ca=processor|platform&encoding=der}
 * (issuer chain in header {@code SGX-PCK-CRL-Issuer-Chain}); {@code
 * {base}/{sgx|tdx}/certification/v4/tcb?fmspc=…} ({@code TCB-Info-Issuer-Chain}, or the older
 * {@code SGX-TCB-Info-Issuer-Chain}); {@code {base}/{sgx|tdx}/certification/v4/qe/identity}
 * ({@code SGX-Enclave-Identity-Issuer-Chain}); the Root CA CRL from a separate URL (Intel: {@code
 * https://certificates.trustedservices.intel.com/IntelSGXRootCA.der}, PCCS: {@code
 * {base}/sgx/certification/v4/rootcacrl}). Issuer chains arrive URL-encoded. The signed {@code
 * tcbInfo} / {@code enclaveIdentity} objects are kept as the exact received text.
 *
 * <p>Cache: one entry per item (PCK CRL per CA, TCB Info per TEE and FMSPC, QE Identity per TEE,
 * Root CA CRL), kept until the injected clock reaches the item's nextUpdate (at most {@code maxAge}).
 * Nothing is verified here; the verifier does that. Thread-safe.
 */
public final class PcsCollateralSource implements CollateralSource {
  public static final URI INTEL_PCS = URI.create("https://api.trustedservices.intel.com");
  public static final URI INTEL_ROOT_CA_CRL =
      URI.create("https://certificates.trustedservices.intel.com/IntelSGXRootCA.der");
  private static final Duration MAX_AGE = Duration.ofDays(1);

  private final String base;
  private final URI rootCaCrlUrl;
  private final HttpClient http;
  private final Clock clock;
  private final Duration timeout;
  private final Map<String, Entry> cache = new ConcurrentHashMap<>();

  private static final class Entry {
    final String body;
    final String chain;
    final Instant expires;

    Entry(String body, String chain, Instant expires) {
      this.body = body;
      this.chain = chain;
      this.expires = expires;
    }
  }

  public PcsCollateralSource(URI baseUrl, URI rootCaCrlUrl, HttpClient http, Clock clock,
      Duration timeout) {
    String b = Objects.requireNonNull(baseUrl, "baseUrl").toString();
    this.base = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
    this.rootCaCrlUrl = Objects.requireNonNull(rootCaCrlUrl, "rootCaCrlUrl");
    this.http = Objects.requireNonNull(http, "http");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  /** Intel's public PCS. */
  public static PcsCollateralSource intelPcs(HttpClient http, Clock clock) {
    return new PcsCollateralSource(INTEL_PCS, INTEL_ROOT_CA_CRL, http, clock, Duration.ofSeconds(30));
  }

  /** A PCCS (or anything serving the PCS v4 paths) at {@code baseUrl}, Root CA CRL included. */
  public static PcsCollateralSource pccs(URI baseUrl, HttpClient http, Clock clock) {
    String b = baseUrl.toString().replaceAll("/+$", "");
    return new PcsCollateralSource(baseUrl, URI.create(b + "/sgx/certification/v4/rootcacrl"), http,
        clock, Duration.ofSeconds(30));
  }

  @Override
  public DcapCollateral collateral(CollateralRequest request) throws AttestationException {
    String tee = request.tee() == TeeType.TDX ? "tdx" : "sgx";
    Entry pckCrl = get("pckcrl:" + request.ca().pcsName(),
        base + "/sgx/certification/v4/pckcrl?ca=" + request.ca().pcsName() + "&encoding=der",
        Kind.CRL, "SGX-PCK-CRL-Issuer-Chain");
    Entry root = get("rootcacrl", rootCaCrlUrl.toString(), Kind.CRL, null);
    Entry tcb = get("tcb:" + tee + ":" + request.fmspcHex(),
        base + "/" + tee + "/certification/v4/tcb?fmspc=" + request.fmspcHex(), Kind.TCB_INFO,
        "TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain");
    Entry qe = get("qe:" + tee, base + "/" + tee + "/certification/v4/qe/identity",
        Kind.QE_IDENTITY, "SGX-Enclave-Identity-Issuer-Chain");
    Json j = new Json("collateral.pcs");
    String tcbText = j.rawObject(tcb.body, "tcbInfo");
    String qeText = j.rawObject(qe.body, "enclaveIdentity");
    return new DcapCollateral(pckCrl.chain, HexFormat.of().parseHex(root.body),
        HexFormat.of().parseHex(pckCrl.body), tcb.chain, tcbText, signature(j, tcb.body), qe.chain,
        qeText, signature(j, qe.body));
  }

  /** Drops all cached items. */
  public void clearCache() {
    cache.clear();
  }

  private enum Kind {
    CRL,
    TCB_INFO,
    QE_IDENTITY
  }

  private static byte[] signature(Json j, String body) throws AttestationException {
    JsonNode n = j.parse(body);
    byte[] sig = j.hex(n, "signature");
    if (sig.length != 64) {
      throw j.fail("expected a 64-byte r||s signature, found " + sig.length + " bytes");
    }
    return sig;
  }

  private Entry get(String key, String url, Kind kind, String... chainHeaders)
      throws AttestationException {
    Instant now = clock.instant();
    Entry e = cache.get(key);
    if (e != null && now.isBefore(e.expires)) {
      return e;
    }
    Entry fresh = fetch(url, kind, chainHeaders, now);
    cache.put(key, fresh);
    return fresh;
  }

  private Entry fetch(String url, Kind kind, String[] chainHeaders, Instant now)
      throws AttestationException {
    String step = "collateral.pcs";
    HttpResponse<byte[]> resp;
    try {
      HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET().build();
      resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException | IllegalArgumentException e) {
      throw new AttestationException(Reason.COLLATERAL_UNAVAILABLE, step,
          "GET " + url + " failed: " + e.getClass().getSimpleName());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AttestationException(Reason.COLLATERAL_UNAVAILABLE, step, "interrupted: GET " + url);
    }
    if (resp.statusCode() != 200) {
      throw new AttestationException(Reason.COLLATERAL_UNAVAILABLE, step,
          "GET " + url + ": expected HTTP 200, found " + resp.statusCode());
    }
    String chain = null;
    if (chainHeaders != null && chainHeaders.length > 0) {
      for (String h : chainHeaders) {
        String v = resp.headers().firstValue(h).orElse(null);
        if (v != null) {
          chain = URLDecoder.decode(v, StandardCharsets.UTF_8);
          break;
        }
      }
      if (chain == null) {
        throw new AttestationException(Reason.COLLATERAL_UNAVAILABLE, step,
            "GET " + url + ": expected header " + chainHeaders[0] + ", found none");
      }
    }
    Instant expires;
    String body;
    if (kind == Kind.CRL) {
      X509CRL crl = CertChains.parseCrl(resp.body(), step);
      try {
        body = HexFormat.of().formatHex(crl.getEncoded());
      } catch (java.security.cert.CRLException ex) {
        throw new AttestationException(Reason.CRL_INVALID, step, "CRL cannot be re-encoded");
      }
      expires = crl.getNextUpdate() == null ? now : crl.getNextUpdate().toInstant();
    } else {
      body = new String(resp.body(), StandardCharsets.UTF_8);
      Json j = new Json(step);
      String obj = j.rawObject(body, kind == Kind.TCB_INFO ? "tcbInfo" : "enclaveIdentity");
      expires = j.instant(j.parse(obj), "nextUpdate");
    }
    Instant cap = now.plus(MAX_AGE);
    return new Entry(body, chain, expires.isBefore(cap) ? expires : cap);
  }

  @Override
  public String toString() {
    return "PcsCollateralSource{" + base.toLowerCase(Locale.ROOT) + ", cached=" + cache.size() + "}";
  }
}
