package dev.ccserve.server.modelgen;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Downloads a pretrained frozen graph — by default the seed's ResNet-50 v1.5
 * ({@link #SEED_RESNET50_URI}) — and converts it into a SavedModel with
 * {@link GraphDefConverter} ({@code ccserve model fetch}).
 *
 * <p>The body is streamed into a hidden temporary file in the export directory while its SHA-256
 * is computed; when an expected digest is given it must match before anything is converted, and
 * the temporary file is always deleted. Limits: connect timeout, a timeout for the response
 * headers, a total download deadline and a maximum size. Network failures are reported as
 * {@code cannot download <uri>: <cause>; ccserve model fetch needs internet access — use 'ccserve
 * model generate resnet50' offline}. Thread-safe if the given {@link HttpClient} is (the JDK's
 * is).
 */
public final class ModelFetcher {
  /** The seed's {@code download_model.sh} URL (no checksum is published for it). */
  public static final URI SEED_RESNET50_URI =
      URI.create(
          "https://storage.googleapis.com/intel-optimized-tensorflow/models/v1_8/"
              + "resnet50_fp32_pretrained_model.pb");

  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_DOWNLOAD_DEADLINE = Duration.ofMinutes(30);
  public static final long DEFAULT_MAX_BYTES = 2L << 30;

  static final String OFFLINE_HINT =
      "ccserve model fetch needs internet access — use 'ccserve model generate resnet50' offline";

  private final HttpClient client;
  private final Duration responseTimeout;
  private final Duration downloadDeadline;
  private final long maxBytes;
  private final GraphDefConverter converter;

  /** Defaults: connect 30 s, response headers 60 s, whole download 30 min, at most 2 GiB. */
  public ModelFetcher() {
    this(
        HttpClient.newBuilder()
            .connectTimeout(DEFAULT_CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build(),
        DEFAULT_RESPONSE_TIMEOUT,
        DEFAULT_DOWNLOAD_DEADLINE,
        DEFAULT_MAX_BYTES,
        new GraphDefConverter());
  }

  public ModelFetcher(
      HttpClient client,
      Duration responseTimeout,
      Duration downloadDeadline,
      long maxBytes,
      GraphDefConverter converter) {
    this.client = Objects.requireNonNull(client, "client");
    this.responseTimeout = positive(responseTimeout, "responseTimeout");
    this.downloadDeadline = positive(downloadDeadline, "downloadDeadline");
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be > 0, got " + maxBytes);
    }
    this.maxBytes = maxBytes;
    this.converter = Objects.requireNonNull(converter, "converter");
  }

  private static Duration positive(Duration d, String name) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be > 0, got " + d);
    }
    return d;
  }

  /**
   * Downloads {@code uri} into {@code exportDir/1/} (input node {@code input}, output node
   * {@code predict}, no overwrite).
   */
  public FetchedModel fetch(URI uri, Path exportDir, Optional<String> sha256)
      throws ModelToolException {
    return fetch(
        uri, exportDir, 1, sha256, GraphDefConverter.DEFAULT_INPUT_NODE,
        GraphDefConverter.DEFAULT_OUTPUT_NODE, false);
  }

  /**
   * Downloads {@code uri}, checks the digest if {@code sha256} is present (64 hex digits, any
   * case), and converts the frozen graph into {@code exportDir/<version>/}.
   *
   * @throws ModelToolException download failure (with the offline hint for network errors),
   *     HTTP status other than 200, digest mismatch, size limit, or a conversion error
   */
  public FetchedModel fetch(
      URI uri,
      Path exportDir,
      long version,
      Optional<String> sha256,
      String inputNode,
      String outputNode,
      boolean overwrite)
      throws ModelToolException {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(exportDir, "exportDir");
    Optional<String> expected = normalise(sha256);
    String scheme = String.valueOf(uri.getScheme()).toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new ModelToolException(
          "cannot download " + uri + ": expected an http or https URI (for a local file use"
              + " 'ccserve model convert')");
    }
    VersionDirectories.checkTarget(exportDir, version, overwrite);
    Path temp = createTempFile(exportDir);
    try {
      Download download = download(uri, temp);
      if (expected.isPresent() && !expected.get().equals(download.sha256())) {
        throw new ModelToolException(
            "SHA-256 mismatch for " + uri + ": expected " + expected.get() + ", got "
                + download.sha256() + " (" + download.bytes() + " bytes); nothing was written");
      }
      ConvertedModel model;
      try {
        model = converter.convert(temp, exportDir, version, inputNode, outputNode, overwrite);
      } catch (ModelToolException e) {
        throw new ModelToolException(
            "downloaded " + uri + " (SHA-256 " + download.sha256() + ") but cannot convert it: "
                + e.getMessage(), e);
      }
      return new FetchedModel(uri, download.sha256(), download.bytes(), model);
    } finally {
      VersionDirectories.deleteQuietly(temp);
    }
  }

  private static Optional<String> normalise(Optional<String> sha256) throws ModelToolException {
    Objects.requireNonNull(sha256, "sha256");
    if (sha256.isEmpty()) {
      return sha256;
    }
    String hex = sha256.get().strip().toLowerCase(Locale.ROOT);
    if (!hex.matches("[0-9a-f]{64}")) {
      throw new ModelToolException(
          "expected SHA-256 as 64 hex digits, got " + hex.length() + " characters");
    }
    return Optional.of(hex);
  }

  private static Path createTempFile(Path exportDir) throws ModelToolException {
    try {
      Files.createDirectories(exportDir);
      return Files.createTempFile(exportDir, ".download-", ".pb");
    } catch (IOException e) {
      throw new ModelToolException("cannot create a download file in " + exportDir + ": " + e, e);
    }
  }

  private record Download(String sha256, long bytes) {}

  private Download download(URI uri, Path target) throws ModelToolException {
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(responseTimeout).GET().build();
    HttpResponse<InputStream> response;
    CompletableFuture<HttpResponse<InputStream>> pending =
        client.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
    try {
      response = pending.get(responseTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      pending.cancel(true);
      Thread.currentThread().interrupt();
      throw new ModelToolException("cannot download " + uri + ": interrupted", e);
    } catch (ExecutionException e) {
      throw networkFailure(uri, e.getCause() == null ? e : e.getCause());
    } catch (TimeoutException e) {
      pending.cancel(true);
      throw networkFailure(uri, e);
    }
    try (InputStream body = response.body()) {
      if (response.statusCode() != 200) {
        throw new ModelToolException(
            "cannot download " + uri + ": HTTP " + response.statusCode() + ", expected 200");
      }
      return copyWithDigest(uri, body, target);
    } catch (IOException e) {
      throw networkFailure(uri, e);
    }
  }

  private Download copyWithDigest(URI uri, InputStream body, Path target)
      throws IOException, ModelToolException {
    MessageDigest digest = sha256();
    AtomicBoolean finished = new AtomicBoolean();
    AtomicBoolean timedOut = new AtomicBoolean();
    CompletableFuture.runAsync(
        () -> {
          if (!finished.get()) {
            timedOut.set(true);
            closeQuietly(body);
          }
        },
        CompletableFuture.delayedExecutor(downloadDeadline.toMillis(), TimeUnit.MILLISECONDS));
    long total = 0;
    byte[] buffer = new byte[1 << 16];
    try (OutputStream out = Files.newOutputStream(target)) {
      int n;
      while ((n = body.read(buffer)) >= 0) {
        total += n;
        if (total > maxBytes) {
          throw new ModelToolException(
              "cannot download " + uri + ": larger than the limit of " + maxBytes + " bytes");
        }
        digest.update(buffer, 0, n);
        out.write(buffer, 0, n);
      }
    } catch (IOException e) {
      if (timedOut.get()) {
        throw new ModelToolException(
            "cannot download " + uri + ": not finished within " + downloadDeadline + "; "
                + OFFLINE_HINT, e);
      }
      throw e;
    } finally {
      finished.set(true);
    }
    return new Download(HexFormat.of().formatHex(digest.digest()), total);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK must provide SHA-256", e);
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      // closing only to abort a stalled download
    }
  }

  private static ModelToolException networkFailure(URI uri, Throwable cause) {
    return new ModelToolException(
        "cannot download " + uri + ": " + describe(uri, cause) + "; " + OFFLINE_HINT, cause);
  }

  /** A short cause: the first message in the chain, or the exception names. */
  static String describe(URI uri, Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof UnresolvedAddressException
          || t instanceof java.net.UnknownHostException) {
        return "unknown host " + uri.getHost();
      }
      if (t instanceof HttpTimeoutException || t instanceof TimeoutException) {
        return "timed out";
      }
    }
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t.getClass().getSimpleName() + ": " + t.getMessage();
      }
    }
    return cause.getClass().getSimpleName();
  }
}
