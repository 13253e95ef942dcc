package dev.ccserve.attestation.ratls;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The claims buffer of a TCG DICE RA-TLS extension, as Gramine defines it: a CBOR map with text
 * keys. {@code "pubkey-hash"} (required) is a byte string holding a serialised CBOR array
 * {@code [uint hash-alg-id, bstr hash(DER SubjectPublicKeyInfo)]}, with IANA Named Information ids
 * 1 = SHA-256 (what Gramine and ccserve emit), 7 = SHA-384, 8 = SHA-512. {@code "nonce"} (optional,
 * a byte string) is ccserve's freshness claim: Gramine reserves the key but does not implement it.
 * Unknown keys are ignored, as Gramine's verifier does.
 *
 * <p>Serialised by ccserve as {@code A1|A2, 6B "pubkey-hash", 58 24 (82 01 58 20 <32 bytes>)[,
 * 65 "nonce", bstr nonce]}. Immutable and thread-safe.
 */
public final class RaTlsClaims {
  static final String PUBKEY_HASH = "pubkey-hash";
  static final String NONCE = "nonce";
  /** Largest accepted nonce. */
  public static final int MAX_NONCE = 256;

  private final int hashAlgId;
  private final byte[] pubkeyHash;
  private final byte[] nonce;

  private RaTlsClaims(int hashAlgId, byte[] pubkeyHash, byte[] nonce) {
    this.hashAlgId = hashAlgId;
    this.pubkeyHash = pubkeyHash;
    this.nonce = nonce;
  }

  /** Serialises claims binding {@code spkiDer} with SHA-256, plus {@code nonce} when non-null. */
  static byte[] encode(byte[] spkiDer, byte[] nonce) {
    if (nonce != null && (nonce.length == 0 || nonce.length > MAX_NONCE)) {
      throw new IllegalArgumentException("nonce must be 1.." + MAX_NONCE + " bytes, found " + nonce.length);
    }
    byte[] entry = new Cbor.Writer().array(2).uint(1).bytes(sha(1, spkiDer)).toByteArray();
    Cbor.Writer w = new Cbor.Writer().map(nonce == null ? 1 : 2).text(PUBKEY_HASH).bytes(entry);
    if (nonce != null) {
      w.text(NONCE).bytes(nonce);
    }
    return w.toByteArray();
  }

  /** Parses a serialised claims buffer. */
  static RaTlsClaims parse(byte[] claims) throws AttestationException {
    if (!(Cbor.decode(claims, "ratls_claims") instanceof Map<?, ?> map)) {
      throw bad("claims are not a CBOR map");
    }
    if (!(map.get(PUBKEY_HASH) instanceof byte[] entryBytes)) {
      throw bad("claims have no \"pubkey-hash\" byte string");
    }
    if (!(Cbor.decode(entryBytes, "ratls_claims") instanceof List<?> entry)
        || entry.size() != 2
        || !(entry.get(0) instanceof Long alg)
        || !(entry.get(1) instanceof byte[] hash)) {
      throw bad("\"pubkey-hash\" is not [uint alg, bstr hash]");
    }
    int expected = hashLength(alg);
    if (hash.length != expected) {
      throw bad("pubkey hash for algorithm " + alg + " must be " + expected + " bytes, found " + hash.length);
    }
    byte[] nonce = null;
    Object n = map.get(NONCE);
    if (n != null) {
      if (!(n instanceof byte[] nb) || nb.length == 0 || nb.length > MAX_NONCE) {
        throw bad("\"nonce\" must be a byte string of 1.." + MAX_NONCE + " bytes");
      }
      nonce = nb;
    }
    return new RaTlsClaims(alg.intValue(), hash, nonce);
  }

  /** The IANA hash algorithm id of the pubkey hash (1, 7 or 8). */
  public int hashAlgId() {
    return hashAlgId;
  }

  /** A copy of the pubkey hash. */
  public byte[] pubkeyHash() {
    return pubkeyHash.clone();
  }

  /** The nonce claim, if present (a copy). */
  public Optional<byte[]> nonce() {
    return nonce == null ? Optional.empty() : Optional.of(nonce.clone());
  }

  /** True when the pubkey hash equals the hash of {@code spkiDer} under the claimed algorithm. */
  boolean matches(byte[] spkiDer) {
    return MessageDigest.isEqual(pubkeyHash, sha(hashAlgId, spkiDer));
  }

  static byte[] sha(long algId, byte[] data) {
    String name = algId == 1 ? "SHA-256" : algId == 7 ? "SHA-384" : "SHA-512";
    try {
      return MessageDigest.getInstance(name).digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(name + " unavailable", e);
    }
  }

  private static int hashLength(long alg) throws AttestationException {
    if (alg == 1) {
      return 32;
    } else if (alg == 7) {
      return 48;
    } else if (alg == 8) {
      return 64;
    }
    throw new AttestationException(
        Reason.UNSUPPORTED_FORMAT, "ratls_claims",
        "expected pubkey hash algorithm 1 (SHA-256), 7 (SHA-384) or 8 (SHA-512), found " + alg);
  }

  private static AttestationException bad(String what) {
    return new AttestationException(Reason.MALFORMED, "ratls_claims", what);
  }
}
