package dev.ccserve.attestation;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * UNTRUSTED attestation evidence (a DCAP quote or an SNP report) exactly as received. Nothing about
 * its content has been checked; only an {@link EvidenceVerifier} followed by the policy gate turns it
 * into {@link VerifiedClaims}.
 *
 * <p>Immutable and thread-safe: the bytes are copied on the way in and on the way out. {@link
 * #toString()} shows only the format, length and SHA-256 digest, never the bytes.
 */
public final class Evidence {
  private final EvidenceFormat format;
  private final byte[] bytes;
  private final String digest;

  private Evidence(EvidenceFormat format, byte[] bytes) {
    this.format = Objects.requireNonNull(format, "format");
    this.bytes = Objects.requireNonNull(bytes, "bytes").clone();
    this.digest = sha256Hex(this.bytes);
  }

  /** Wraps {@code bytes} (copied) as evidence of the given format. */
  public static Evidence of(EvidenceFormat format, byte[] bytes) {
    return new Evidence(format, bytes);
  }

  /** The TEE type implied by the format. */
  public TeeType tee() {
    return format.tee();
  }

  public EvidenceFormat format() {
    return format;
  }

  /** A fresh copy of the raw evidence bytes. */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** Number of evidence bytes. */
  public int length() {
    return bytes.length;
  }

  /** Lower-case hex SHA-256 of the bytes; safe for logs and error messages. */
  public String digest() {
    return digest;
  }

  static String sha256Hex(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Evidence other
        && other.format == format
        && MessageDigest.isEqual(other.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return 31 * format.hashCode() + Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "Evidence{format=" + format + ", length=" + bytes.length + ", sha256=" + digest + "}";
  }
}
