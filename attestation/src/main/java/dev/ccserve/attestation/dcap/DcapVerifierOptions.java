package dev.ccserve.attestation.dcap;

import java.time.Duration;
import java.util.Objects;

/**
 * Freshness knobs for {@link DcapQuoteVerifier}. Defaults are strict (no grace): a CRL past its
 * nextUpdate, or TCB Info / QE Identity past nextUpdate, is {@code COLLATERAL_EXPIRED}. Windows of
 * CRLs and TCB Info are configured separately because their update cycles differ.
 *
 * @param crlGrace accepted time after a CRL's nextUpdate
 * @param tcbInfoGrace accepted time after TCB Info's / QE Identity's nextUpdate
 */
public record DcapVerifierOptions(Duration crlGrace, Duration tcbInfoGrace) {
  public static final DcapVerifierOptions STRICT = new DcapVerifierOptions(Duration.ZERO, Duration.ZERO);

  public DcapVerifierOptions {
    Objects.requireNonNull(crlGrace, "crlGrace");
    Objects.requireNonNull(tcbInfoGrace, "tcbInfoGrace");
    if (crlGrace.isNegative() || tcbInfoGrace.isNegative()) {
      throw new IllegalArgumentException("grace periods must not be negative");
    }
  }
}
