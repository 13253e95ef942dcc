package dev.ccserve.attestation.dcap;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A root public key a {@link DcapQuoteVerifier} trusts for PCK chains and collateral signing
 * chains. The key is pinned (not a certificate), because Intel re-issued its root certificate with
 * the same key. {@code simulated} marks the INSECURE simulated root: evidence chaining to it is
 * reported with {@code simulated=true}.
 *
 * @param name label for errors
 * @param key the root public key
 * @param simulated true for the simulated TEE's root
 */
public record TrustedRoot(String name, PublicKey key, boolean simulated) {
  public TrustedRoot {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(key, "key");
  }

  /** SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex. */
  public String spkiSha256() {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  boolean matches(PublicKey other) {
    return MessageDigest.isEqual(key.getEncoded(), other.getEncoded());
  }

  @Override
  public String toString() {
    return "TrustedRoot{" + name + ", spki_sha256=" + spkiSha256() + (simulated ? ", SIMULATED" : "")
        + "}";
  }
}
