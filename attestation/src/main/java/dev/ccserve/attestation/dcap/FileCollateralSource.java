package dev.ccserve.attestation.dcap;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Collateral from one JSON bundle file (dcap-qvl {@code QuoteCollateralV3} schema, see {@link
 * DcapCollateral}), or from an already parsed bundle. It returns the same bundle for every request;
 * the verifier rejects it (COLLATERAL_MISMATCH) when its FMSPC or TEE type does not fit the quote.
 *
 * <p>The file is read on each call so that an operator can replace it; thread-safe.
 */
public final class FileCollateralSource implements CollateralSource {
  private final Path file;
  private final DcapCollateral fixed;

  private FileCollateralSource(Path file, DcapCollateral fixed) {
    this.file = file;
    this.fixed = fixed;
  }

  /** Reads the bundle from {@code file} on every request. */
  public static FileCollateralSource of(Path file) {
    return new FileCollateralSource(Objects.requireNonNull(file, "file"), null);
  }

  /** Serves a bundle held in memory. */
  public static FileCollateralSource of(DcapCollateral collateral) {
    return new FileCollateralSource(null, Objects.requireNonNull(collateral, "collateral"));
  }

  @Override
  public DcapCollateral collateral(CollateralRequest request) throws AttestationException {
    if (fixed != null) {
      return fixed;
    }
    String json;
    try {
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AttestationException(Reason.COLLATERAL_UNAVAILABLE, "collateral.file",
          "cannot read collateral bundle " + file + ": " + e.getClass().getSimpleName());
    }
    return DcapCollateral.fromJson(json);
  }
}
