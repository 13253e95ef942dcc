package dev.ccserve.attestation;

/** The kind of trusted execution environment that produced a piece of evidence. */
public enum TeeType {
  SGX,
  TDX,
  SEV_SNP
}
