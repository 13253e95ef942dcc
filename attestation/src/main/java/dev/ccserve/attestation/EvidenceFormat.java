package dev.ccserve.attestation;

/**
 * The wire format of a piece of evidence. Each format belongs to exactly one {@link TeeType}.
 */
public enum EvidenceFormat {
  /** Intel DCAP SGX ECDSA quote, version 3 (attestation key type 2, ECDSA-P256). */
  SGX_QUOTE_V3(TeeType.SGX),
  /** Intel DCAP TDX quote, version 4 (TD report body, TDX 1.0). */
  TDX_QUOTE_V4(TeeType.TDX),
  /** Intel DCAP TDX quote, version 5 (body type 2 = TDX 1.0, 3 = TDX 1.5). */
  TDX_QUOTE_V5(TeeType.TDX),
  /** AMD SEV-SNP attestation report (1184 bytes). */
  SNP_REPORT(TeeType.SEV_SNP);

  private final TeeType tee;

  EvidenceFormat(TeeType tee) {
    this.tee = tee;
  }

  /** The TEE type this format belongs to. */
  public TeeType tee() {
    return tee;
  }
}
