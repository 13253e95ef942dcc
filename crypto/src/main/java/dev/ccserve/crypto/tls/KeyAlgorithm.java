package dev.ccserve.crypto.tls;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.ECGenParameterSpec;

/**
 * The key types ccserve generates for TLS: EC P-256 (the default: small, fast handshakes) and RSA
 * 2048/4096 (what the seed scripts made). Each knows its signature algorithm (SHA-256 based).
 */
public enum KeyAlgorithm {
  EC_P256("EC", "SHA256withECDSA"),
  RSA_2048("RSA", "SHA256withRSA"),
  RSA_4096("RSA", "SHA256withRSA");

  private final String jcaName;
  private final String signatureAlgorithm;

  KeyAlgorithm(String jcaName, String signatureAlgorithm) {
    this.jcaName = jcaName;
    this.signatureAlgorithm = signatureAlgorithm;
  }

  /** {@code RSA_2048} for 2048, {@code RSA_4096} for 4096; anything else is rejected. */
  public static KeyAlgorithm rsa(int bits) {
    return switch (bits) {
      case 2048 -> RSA_2048;
      case 4096 -> RSA_4096;
      default -> throw new TlsMaterialException(
          "expected an RSA key size of 2048 or 4096, found " + bits);
    };
  }

  public boolean isRsa() {
    return jcaName.equals("RSA");
  }

  /** The JCA signature algorithm this key type signs certificates with. */
  public String signatureAlgorithm() {
    return signatureAlgorithm;
  }

  public KeyPair generate(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance(jcaName);
      if (isRsa()) {
        g.initialize(this == RSA_2048 ? 2048 : 4096, random);
      } else {
        g.initialize(new ECGenParameterSpec("secp256r1"), random);
      }
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate " + name() + " keys", e);
    }
  }

  /** The signature algorithm to use with an arbitrary (RSA or EC) private key. */
  static String signatureAlgorithmFor(PrivateKey key) {
    if (key instanceof RSAKey) {
      return "SHA256withRSA";
    }
    if (key instanceof ECKey) {
      return "SHA256withECDSA";
    }
    if (key.getAlgorithm().equals("Ed25519") || key.getAlgorithm().equals("EdDSA")) {
      return "Ed25519";
    }
    throw new TlsMaterialException(
        "expected an RSA, EC or Ed25519 private key, found " + key.getAlgorithm());
  }
}
