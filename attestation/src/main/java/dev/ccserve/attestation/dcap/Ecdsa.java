package dev.ccserve.attestation.dcap;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;

/** ECDSA P-256 helpers for DCAP's raw formats (r‖s signatures, x‖y public keys). */
public final class Ecdsa {
  private static final String ALG = "SHA256withECDSAinP1363Format";
  private static final ECParameterSpec P256;

  static {
    try {
      AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
      p.init(new ECGenParameterSpec("secp256r1"));
      P256 = p.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private Ecdsa() {}

  /** Verifies a raw r‖s signature; false on any failure, never throws. */
  public static boolean verify(PublicKey key, byte[] data, byte[] rs) {
    try {
      Signature s = Signature.getInstance(ALG);
      s.initVerify(key);
      s.update(data);
      return s.verify(rs);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** Signs with a raw r‖s signature (64 bytes for P-256). */
  public static byte[] sign(PrivateKey key, byte[] data) throws GeneralSecurityException {
    Signature s = Signature.getInstance(ALG);
    s.initSign(key);
    s.update(data);
    return s.sign();
  }

  /** A P-256 public key from 64 raw bytes x‖y; null if it is not a point on the curve. */
  public static PublicKey fromRaw(byte[] xy) {
    if (xy == null || xy.length != 64) {
      return null;
    }
    BigInteger x = new BigInteger(1, Arrays.copyOfRange(xy, 0, 32));
    BigInteger y = new BigInteger(1, Arrays.copyOfRange(xy, 32, 64));
    if (!onCurve(x, y)) {
      return null;
    }
    try {
      return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), P256));
    } catch (GeneralSecurityException | RuntimeException e) {
      return null;
    }
  }

  /** The 64-byte raw x‖y form of a P-256 public key. */
  public static byte[] toRaw(PublicKey key) {
    ECPoint w = ((ECPublicKey) key).getW();
    byte[] out = new byte[64];
    copyUnsigned(w.getAffineX(), out, 0);
    copyUnsigned(w.getAffineY(), out, 32);
    return out;
  }

  private static void copyUnsigned(BigInteger v, byte[] out, int off) {
    byte[] b = v.toByteArray();
    int len = Math.min(b.length, 32);
    System.arraycopy(b, b.length - len, out, off + 32 - len, len);
  }

  private static boolean onCurve(BigInteger x, BigInteger y) {
    BigInteger p = ((java.security.spec.ECFieldFp) P256.getCurve().getField()).getP();
    if (x.compareTo(p) >= 0 || y.compareTo(p) >= 0) {
      return false;
    }
    BigInteger a = P256.getCurve().getA();
    BigInteger b = P256.getCurve().getB();
    BigInteger lhs = y.multiply(y).mod(p);
    BigInteger rhs = x.pow(3).add(a.multiply(x)).add(b).mod(p);
    return lhs.equals(rhs);
  }
}
