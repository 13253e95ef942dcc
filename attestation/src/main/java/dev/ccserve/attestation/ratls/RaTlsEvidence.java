package dev.ccserve.attestation.ratls;

import dev.ccserve.attestation.Evidence;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * Evidence extracted from an RA-TLS certificate whose key binding has been checked against the
 * (still UNVERIFIED) report_data inside the evidence. The evidence itself is untrusted until an
 * {@link dev.ccserve.attestation.EvidenceVerifier} has verified it; afterwards the verified report
 * data must again start with {@link #expectedReportDataPrefix()} (the trust manager does this).
 *
 * <p>Immutable and thread-safe; byte accessors return copies.
 */
public final class RaTlsEvidence {

  /** Which extension the evidence came from. */
  public enum Source {
    /** TCG DICE tagged evidence (2.23.133.5.4.9); report_data[0..32) = SHA-256(claims). */
    TCG_DICE,
    /** Gramine's legacy quote extension; report_data[0..32) = SHA-256(DER SPKI). */
    LEGACY_GRAMINE
  }

  private final Evidence evidence;
  private final Source source;
  private final int pubkeyHashAlgId;
  private final byte[] pubkeyHash;
  private final byte[] nonce;
  private final byte[] expectedPrefix;

  RaTlsEvidence(
      Evidence evidence, Source source, int pubkeyHashAlgId, byte[] pubkeyHash, byte[] nonce, byte[] expectedPrefix) {
    this.evidence = Objects.requireNonNull(evidence);
    this.source = Objects.requireNonNull(source);
    this.pubkeyHashAlgId = pubkeyHashAlgId;
    this.pubkeyHash = pubkeyHash.clone();
    this.nonce = nonce == null ? null : nonce.clone();
    this.expectedPrefix = expectedPrefix.clone();
  }

  /** The embedded (untrusted) evidence, format detected from its bytes. */
  public Evidence evidence() {
    return evidence;
  }

  public Source source() {
    return source;
  }

  /** IANA hash id of {@link #pubkeyHash()}: 1 SHA-256, 7 SHA-384, 8 SHA-512. */
  public int pubkeyHashAlgId() {
    return pubkeyHashAlgId;
  }

  /** Hash of the certificate's DER SubjectPublicKeyInfo that the evidence is bound to. */
  public byte[] pubkeyHash() {
    return pubkeyHash.clone();
  }

  /** The ccserve nonce claim (TCG extension only), if present. */
  public Optional<byte[]> nonce() {
    return nonce == null ? Optional.empty() : Optional.of(nonce.clone());
  }

  /** The 32 bytes report_data must start with for the binding to hold. */
  public byte[] expectedReportDataPrefix() {
    return expectedPrefix.clone();
  }

  /** True when {@code reportData} starts with {@link #expectedReportDataPrefix()}. */
  public boolean boundTo(byte[] reportData) {
    if (reportData == null || reportData.length < expectedPrefix.length) {
      return false;
    }
    byte[] head = java.util.Arrays.copyOf(reportData, expectedPrefix.length);
    return MessageDigest.isEqual(head, expectedPrefix);
  }

  @Override
  public String toString() {
    return "RaTlsEvidence{source=" + source + ", " + evidence + ", pubkeyHash="
        + HexFormat.of().formatHex(pubkeyHash) + ", nonce=" + (nonce == null ? "none" : nonce.length + " bytes") + "}";
  }
}
