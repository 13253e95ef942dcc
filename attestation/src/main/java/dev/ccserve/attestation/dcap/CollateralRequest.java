package dev.ccserve.attestation.dcap;

import dev.ccserve.attestation.TeeType;
import java.util.Locale;
import java.util.Objects;

/**
 * What collateral a quote needs: the TEE type (SGX or TDX selects the PCS path), the platform's
 * FMSPC (from the PCK certificate) and which PCK CA issued the PCK certificate.
 *
 * @param tee SGX or TDX
 * @param fmspcHex FMSPC, 12 hex digits (normalised to upper case)
 * @param ca the issuing PCK CA
 */
public record CollateralRequest(TeeType tee, String fmspcHex, PckCa ca) {
  /** The two Intel PCK intermediate CAs. */
  public enum PckCa {
    PROCESSOR("processor"),
    PLATFORM("platform");

    private final String pcsName;

    PckCa(String pcsName) {
      this.pcsName = pcsName;
    }

    /** The value of PCS's {@code ca=} parameter. */
    public String pcsName() {
      return pcsName;
    }
  }

  public CollateralRequest {
    Objects.requireNonNull(tee, "tee");
    Objects.requireNonNull(ca, "ca");
    if (tee == TeeType.SEV_SNP) {
      throw new IllegalArgumentException("expected SGX or TDX, found " + tee);
    }
    fmspcHex = Objects.requireNonNull(fmspcHex, "fmspcHex").toUpperCase(Locale.ROOT);
    if (!fmspcHex.matches("[0-9A-F]{12}")) {
      throw new IllegalArgumentException("expected FMSPC as 12 hex digits, found " + fmspcHex);
    }
  }
}
