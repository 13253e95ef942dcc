package dev.ccserve.attestation.snp;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link VcekSource} backed by files, for offline and air-gapped verifiers (and to cache what AMD
 * KDS served, which is rate-limited). {@code path} is either one certificate file (DER or PEM; used
 * for every report) or a directory searched for {@code <hex chip_id>.der}, {@code <hex
 * chip_id>.pem}, {@code <hex chip_id>.crt} (lower-case hex, 128 digits), then {@code vcek.der},
 * {@code vcek.pem}, {@code vlek.der}, {@code vlek.pem}.
 *
 * <p>Reads the file on each call; thread-safe.
 */
public final class FileVcekSource implements VcekSource {
  private final Path path;

  public FileVcekSource(Path path) {
    this.path = Objects.requireNonNull(path, "path");
  }

  @Override
  public Optional<X509Certificate> endorsementKey(SnpReport report) throws AttestationException {
    if (Files.isRegularFile(path)) {
      return Optional.of(read(path));
    }
    if (!Files.isDirectory(path)) {
      throw new AttestationException(
          Reason.COLLATERAL_UNAVAILABLE, "vcek", "VCEK path " + path + " is neither a file nor a directory");
    }
    String chip = SnpReport.hex(report.chipId());
    String key = report.signingKey() == SnpReport.SigningKey.VLEK ? "vlek" : "vcek";
    for (String name : List.of(chip + ".der", chip + ".pem", chip + ".crt", key + ".der", key + ".pem")) {
      Path p = path.resolve(name);
      if (Files.isRegularFile(p)) {
        return Optional.of(read(p));
      }
    }
    return Optional.empty();
  }

  private static X509Certificate read(Path p) throws AttestationException {
    try {
      return AmdCertificates.parse(Files.readAllBytes(p), "vcek");
    } catch (IOException e) {
      throw new AttestationException(
          Reason.COLLATERAL_UNAVAILABLE, "vcek", "cannot read VCEK file " + p + ": " + e.getClass().getSimpleName());
    }
  }

  @Override
  public String toString() {
    return "FileVcekSource{" + path + "}";
  }
}
