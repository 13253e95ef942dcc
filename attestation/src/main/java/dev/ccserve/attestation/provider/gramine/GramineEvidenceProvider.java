package dev.ccserve.attestation.provider.gramine;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.EvidenceProvider;
import dev.ccserve.attestation.TeeType;
import dev.ccserve.attestation.detect.EvidenceSniffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.Optional;

/**
 * Gets SGX DCAP quotes from Gramine's pseudo-filesystem (attestation.md section 3): checks that
 * {@code attestation_type} is {@code dcap}, writes the 64 report-data bytes to {@code
 * user_report_data}, reads {@code quote}, and checks that the quote is an SGX v3 quote carrying
 * exactly that report data.
 *
 * <p>Works only inside a Gramine-SGX enclave (manifest {@code sgx.remote_attestation = "dcap"}).
 * The root directory is injectable so tests can emulate the device files in a temporary
 * directory; this project's machines have no SGX, so the real device is untested here.
 *
 * <p>Thread-safe: the write-then-read pair is serialised per instance (Gramine's files are
 * per-process, so use one instance per process).
 */
public final class GramineEvidenceProvider implements EvidenceProvider {
  /** Gramine's attestation directory inside the enclave. */
  public static final Path DEFAULT_ROOT = Paths.get("/dev/attestation");
  private static final int MAX_QUOTE = 8192;

  private final Path root;

  public GramineEvidenceProvider() {
    this(DEFAULT_ROOT);
  }

  public GramineEvidenceProvider(Path root) {
    this.root = Objects.requireNonNull(root, "root");
  }

  @Override
  public synchronized Evidence attest(byte[] reportData64) throws AttestationException {
    if (reportData64 == null || reportData64.length != 64) {
      throw new AttestationException(
          Reason.REPORT_DATA_MISMATCH, "gramine.report_data",
          "expected 64 bytes of report data, found " + (reportData64 == null ? 0 : reportData64.length));
    }
    if (!Files.isDirectory(root)) {
      throw new AttestationException(
          Reason.COLLATERAL_UNAVAILABLE, "gramine.device",
          "no " + root + ": not running inside Gramine-SGX");
    }
    String type = read("attestation_type", 64).trim();
    if (!type.equals("dcap")) {
      throw new AttestationException(
          Reason.UNSUPPORTED_FORMAT, "gramine.attestation_type",
          "expected attestation_type \"dcap\", found \"" + type + "\" (set sgx.remote_attestation = \"dcap\" in the manifest)");
    }
    try {
      Files.write(root.resolve("user_report_data"), reportData64, StandardOpenOption.WRITE);
      byte[] quote = Files.readAllBytes(root.resolve("quote"));
      return check(quote, reportData64);
    } catch (IOException e) {
      throw new AttestationException(
          Reason.COLLATERAL_UNAVAILABLE, "gramine.quote",
          "cannot write user_report_data / read quote under " + root + ": " + e.getClass().getSimpleName());
    }
  }

  private static Evidence check(byte[] quote, byte[] reportData) throws AttestationException {
    if (quote.length > MAX_QUOTE) {
      throw new AttestationException(
          Reason.MALFORMED, "gramine.quote", "expected a quote of at most " + MAX_QUOTE + " bytes, found " + quote.length);
    }
    Optional<EvidenceFormat> f = EvidenceSniffer.sniff(quote);
    if (f.isEmpty() || f.get() != EvidenceFormat.SGX_QUOTE_V3) {
      throw new AttestationException(
          Reason.UNSUPPORTED_FORMAT, "gramine.quote",
          "expected an SGX v3 DCAP quote, found " + f.map(Enum::name).orElse("unrecognised " + quote.length + " bytes"));
    }
    byte[] rd = EvidenceSniffer.reportData(f.get(), quote).orElseThrow();
    if (!MessageDigest.isEqual(rd, reportData)) {
      throw new AttestationException(
          Reason.REPORT_DATA_MISMATCH, "gramine.quote",
          "quote report_data does not equal the user_report_data just written (concurrent use of /dev/attestation?)");
    }
    return Evidence.of(f.get(), quote);
  }

  private String read(String name, int max) throws AttestationException {
    try {
      byte[] b = Files.readAllBytes(root.resolve(name));
      return new String(b, 0, Math.min(b.length, max), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new AttestationException(
          Reason.COLLATERAL_UNAVAILABLE, "gramine.device",
          "cannot read " + root.resolve(name) + ": " + e.getClass().getSimpleName() + " (not running inside Gramine-SGX?)");
    }
  }

  @Override
  public TeeType tee() {
    return TeeType.SGX;
  }

  @Override
  public String name() {
    return "gramine";
  }

  @Override
  public String toString() {
    return "GramineEvidenceProvider{" + root + "}";
  }
}
