package dev.ccserve.keybroker;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One named secret held by the broker (typically a 16-byte model wrap key). The bytes leave only
 * through the loudly named {@link #toCleartextBytes()}; {@link #toString()} shows the name, length
 * and a short fingerprint. Immutable and thread-safe.
 */
final class Secret {
  private final String name;
  private final byte[] bytes;
  private final String fingerprint;

  Secret(String name, byte[] bytes) {
    this.name = Objects.requireNonNull(name, "name");
    this.bytes = Objects.requireNonNull(bytes, "bytes").clone();
    this.fingerprint = fingerprint(this.bytes);
  }

  String name() {
    return name;
  }

  int length() {
    return bytes.length;
  }

  /** DANGEROUS: a copy of the secret bytes, for the wire only. */
  byte[] toCleartextBytes() {
    return bytes.clone();
  }

  /** First 8 bytes of SHA-256("ccserve secret id\0" || bytes), hex; safe to log. */
  String fingerprint() {
    return fingerprint;
  }

  private static String fingerprint(byte[] b) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("ccserve secret id\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(sha.digest(b), 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "Secret[" + name + ", " + bytes.length + " bytes, id=" + fingerprint + "]";
  }
}
