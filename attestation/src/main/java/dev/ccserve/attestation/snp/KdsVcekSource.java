package dev.ccserve.attestation.snp;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link VcekSource} that fetches VCEKs from AMD's Key Distribution Service: {@code
 * GET <base>/vcek/v1/<product>/<hex chip_id>?blSPL=..&teeSPL=..&snpSPL=..&ucodeSPL=..} (DER), for
 * the configured product (a v2 report does not say which product made it). KDS is rate-limited
 * (about one VCEK per 10 s per IP), so answers are cached in {@code cacheDir} (one DER file per chip
 * and TCB; also readable by {@link FileVcekSource}) when one is given. VLEKs are not served by KDS
 * (they come from the cloud provider); VLEK-signed reports yield empty.
 *
 * <p>The fetched certificate is untrusted; {@link SnpVerifier} checks it. Thread-safe.
 */
public final class KdsVcekSource implements VcekSource {
  /** AMD's public KDS. */
  public static final URI AMD_KDS = URI.create("https://kdsintf.amd.com");

  private final HttpClient http;
  private final URI base;
  private final SnpProduct product;
  private final Path cacheDir;
  private final Duration timeout;

  /**
   * @param base KDS base URI, normally {@link #AMD_KDS}
   * @param product the product line of the machines whose reports are verified
   * @param cacheDir directory for cached VCEKs, or null for none
   */
  public KdsVcekSource(HttpClient http, URI base, SnpProduct product, Path cacheDir, Duration timeout) {
    this.http = Objects.requireNonNull(http, "http");
    this.base = Objects.requireNonNull(base, "base");
    this.product = Objects.requireNonNull(product, "product");
    this.cacheDir = cacheDir;
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  @Override
  public Optional<X509Certificate> endorsementKey(SnpReport report) throws AttestationException {
    if (report.signingKey() != SnpReport.SigningKey.VCEK) {
      return Optional.empty();
    }
    String chip = SnpReport.hex(Arrays.copyOf(report.chipId(), product.hwIdLength()));
    SnpTcb tcb = SnpTcb.decode(report.reportedTcbRaw(), product);
    Path cached = cacheDir == null ? null
        : cacheDir.resolve(product.kdsName() + "-" + chip + "-" + Long.toHexString(tcb.raw()) + ".der");
    if (cached != null && Files.isRegularFile(cached)) {
      try {
        return Optional.of(AmdCertificates.parse(Files.readAllBytes(cached), "vcek"));
      } catch (IOException | AttestationException e) {
        // unreadable cache entry: fetch again
      }
    }
    URI uri = URI.create(base.toString().replaceAll("/+$", "")
        + "/vcek/v1/" + product.kdsName() + "/" + chip + "?" + tcb.kdsQuery(product));
    X509Certificate cert = AmdCertificates.parse(fetch(uri), "vcek");
    if (cached != null) {
      store(cached, cert);
    }
    return Optional.of(cert);
  }

  private byte[] fetch(URI uri) throws AttestationException {
    HttpRequest req = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
    try {
      HttpResponse<byte[]> resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
      if (resp.statusCode() != 200) {
        throw new AttestationException(
            Reason.COLLATERAL_UNAVAILABLE, "vcek",
            "AMD KDS answered HTTP " + resp.statusCode() + " for " + uri.getPath()
                + (resp.statusCode() == 429 ? " (rate limited; cache VCEKs)" : ""));
      }
      return resp.body();
    } catch (IOException e) {
      throw new AttestationException(
          Reason.COLLATERAL_UNAVAILABLE, "vcek", "cannot reach AMD KDS at " + base + ": " + e.getClass().getSimpleName());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AttestationException(Reason.COLLATERAL_UNAVAILABLE, "vcek", "interrupted while fetching the VCEK");
    }
  }

  private static void store(Path file, X509Certificate cert) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = Files.createTempFile(file.getParent(), "vcek", ".tmp");
      Files.write(tmp, cert.getEncoded());
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | CertificateEncodingException e) {
      // caching is best effort
    }
  }

  @Override
  public String toString() {
    return "KdsVcekSource{" + base + ", " + product.kdsName() + (cacheDir == null ? "" : ", cache " + cacheDir) + "}";
  }
}
