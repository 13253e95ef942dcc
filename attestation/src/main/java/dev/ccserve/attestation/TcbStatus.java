package dev.ccserve.attestation;

import java.util.Locale;
import java.util.Optional;

/**
 * Intel's TCB status vocabulary (TCB Info v3 {@code tcbStatus}, QE Identity {@code tcbStatus}). SNP
 * verifiers report {@link #UP_TO_DATE} when the reported TCB meets the VCEK's TCB.
 */
public enum TcbStatus {
  UP_TO_DATE("UpToDate"),
  SW_HARDENING_NEEDED("SWHardeningNeeded"),
  CONFIGURATION_NEEDED("ConfigurationNeeded"),
  CONFIGURATION_AND_SW_HARDENING_NEEDED("ConfigurationAndSWHardeningNeeded"),
  OUT_OF_DATE("OutOfDate"),
  OUT_OF_DATE_CONFIGURATION_NEEDED("OutOfDateConfigurationNeeded"),
  REVOKED("Revoked");

  private final String intelName;

  TcbStatus(String intelName) {
    this.intelName = intelName;
  }

  /** Intel's spelling, e.g. {@code "ConfigurationAndSWHardeningNeeded"}. */
  public String intelName() {
    return intelName;
  }

  /**
   * Parses Intel's spelling ({@code "UpToDate"}) or the enum constant name ({@code "UP_TO_DATE"},
   * case-insensitive). Returns empty for anything else.
   */
  public static Optional<TcbStatus> parse(String s) {
    if (s == null) {
      return Optional.empty();
    }
    for (TcbStatus t : values()) {
      if (t.intelName.equals(s) || t.name().equalsIgnoreCase(s.trim())) {
        return Optional.of(t);
      }
    }
    String compact = s.replace("_", "").replace("-", "").toLowerCase(Locale.ROOT);
    for (TcbStatus t : values()) {
      if (t.intelName.toLowerCase(Locale.ROOT).equals(compact)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  /** How bad a status is, for merging: higher is worse (QVL's convergence order). */
  public int severity() {
    switch (this) {
      case UP_TO_DATE:
        return 0;
      case SW_HARDENING_NEEDED:
        return 1;
      case CONFIGURATION_NEEDED:
        return 2;
      case CONFIGURATION_AND_SW_HARDENING_NEEDED:
        return 3;
      case OUT_OF_DATE:
        return 4;
      case OUT_OF_DATE_CONFIGURATION_NEEDED:
        return 5;
      case REVOKED:
      default:
        return 6;
    }
  }
}
