package dev.ccserve.attestation.dcap;

import dev.ccserve.attestation.AttestationException;

/**
 * Supplies DCAP collateral for a quote: a file bundle ({@link FileCollateralSource}), Intel PCS or
 * a PCCS over HTTP ({@link PcsCollateralSource}), or anything else. The collateral is untrusted;
 * the verifier checks every signature, issuer and validity window, and that it matches the quote.
 *
 * <p>Implementations must be thread-safe. Failure to obtain collateral is {@code
 * COLLATERAL_UNAVAILABLE}; unparsable collateral is {@code MALFORMED}.
 */
public interface CollateralSource {
  DcapCollateral collateral(CollateralRequest request) throws AttestationException;
}
