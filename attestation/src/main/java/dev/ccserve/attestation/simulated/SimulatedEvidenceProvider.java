package dev.ccserve.attestation.simulated;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.EvidenceProvider;
import dev.ccserve.attestation.TeeType;
import dev.ccserve.attestation.dcap.DcapCollateral;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * INSECURE evidence provider backed by a {@link SimulatedTee}: emits SGX v3 quotes whose MRENCLAVE
 * is a {@link DistributionMeasurement} of the running ccserve distribution and whose report_data is
 * the caller's 64 bytes. MRSIGNER is SHA-256 of the simulated root's SPKI, ISVPRODID and ISVSVN are
 * configurable. The evidence proves nothing about hardware; a relying party accepts it only when it
 * explicitly trusts the simulated root and its policy sets {@code trust_simulated_insecure}.
 *
 * <p>Thread-safe.
 */
public final class SimulatedEvidenceProvider implements EvidenceProvider {
  private final SimulatedTee tee;
  private final byte[] mrEnclave;
  private final byte[] mrSigner;
  private final int isvProdId;
  private final int isvSvn;

  public SimulatedEvidenceProvider(SimulatedTee tee, DistributionMeasurement measurement,
      int isvProdId, int isvSvn) {
    this.tee = Objects.requireNonNull(tee, "tee");
    this.mrEnclave = Objects.requireNonNull(measurement, "measurement").bytes();
    this.mrSigner = mrSignerOf(tee);
    if (isvProdId < 0 || isvProdId > 0xFFFF || isvSvn < 0 || isvSvn > 0xFFFF) {
      throw new IllegalArgumentException("isv_prod_id and isv_svn must be 0..65535");
    }
    this.isvProdId = isvProdId;
    this.isvSvn = isvSvn;
  }

  /** MRSIGNER the simulated enclaves report: SHA-256("ccserve simulated signer" ‖ root SPKI). */
  public static byte[] mrSignerOf(SimulatedTee tee) {
    byte[] label = "ccserve simulated signer".getBytes(StandardCharsets.US_ASCII);
    byte[] spki = tee.rootPublicKey().getEncoded();
    byte[] both = new byte[label.length + spki.length];
    System.arraycopy(label, 0, both, 0, label.length);
    System.arraycopy(spki, 0, both, label.length, spki.length);
    return SimulatedTee.sha256(both);
  }

  @Override
  public Evidence attest(byte[] reportData64) throws AttestationException {
    if (reportData64 == null || reportData64.length != 64) {
      throw new AttestationException(Reason.REPORT_DATA_MISMATCH, "simulated.report_data",
          "expected exactly 64 bytes of report data, found "
              + (reportData64 == null ? "null" : reportData64.length));
    }
    return Evidence.of(EvidenceFormat.SGX_QUOTE_V3,
        tee.quote(mrEnclave, mrSigner, isvProdId, isvSvn, reportData64));
  }

  /** Collateral matching the quotes (same JSON schema as the test data). */
  public DcapCollateral collateral() throws AttestationException {
    return tee.collateral();
  }

  @Override
  public TeeType tee() {
    return TeeType.SGX;
  }

  @Override
  public String name() {
    return "simulated";
  }

  @Override
  public String toString() {
    return "SimulatedEvidenceProvider{INSECURE}";
  }
}
