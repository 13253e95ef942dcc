package dev.ccserve.attestation.dcap;

import java.security.PublicKey;
import java.util.HexFormat;

/**
 * The pinned Intel SGX Root CA public key (reference §5.4): ECDSA P-256, SHA-256 of the DER SPKI
 * {@value #SPKI_SHA256}. Both known root certificates (2033 and 2049 expiry) carry this key.
 */
public final class IntelSgxRootCa {
  /** SHA-256 of the DER SubjectPublicKeyInfo of the Intel SGX Root CA key. */
  public static final String SPKI_SHA256 =
      "a0af031289f5d5d4132f9186068a7fc13628633ba235777472e29b6b6c67a49e";

  private static final String XY =
      "0ba9c4c0c0c86193a3fe23d6b02cda10a8bbd4e88e48b4458561a36e705525f5"
          + "67918e2edc88e40d860bd0cc4ee26aacc988e505a953558c453f6b0904ae7394";

  private IntelSgxRootCa() {}

  /** The pinned key. */
  public static PublicKey publicKey() {
    PublicKey k = Ecdsa.fromRaw(HexFormat.of().parseHex(XY));
    if (k == null) {
      throw new IllegalStateException("pinned Intel root key is not on P-256");
    }
    return k;
  }

  /** The pinned key as a trusted (non-simulated) root. */
  public static TrustedRoot trustedRoot() {
    return new TrustedRoot("Intel SGX Root CA", publicKey(), false);
  }
}
