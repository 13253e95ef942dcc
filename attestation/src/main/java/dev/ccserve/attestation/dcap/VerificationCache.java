package dev.ccserve.attestation.dcap;

import dev.ccserve.attestation.AttestationException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Remembers the <b>time-independent</b> results of the expensive public-key checks that a {@link
 * DcapQuoteVerifier} repeats for every quote of the same platform: certificate chains validated to
 * a trusted root, CRL signatures, and the ECDSA signatures over the exact TCB Info / QE Identity
 * text. Each entry is keyed by SHA-256 over a kind label and the exact bytes that were checked
 * (every certificate's DER, the CRL's DER, the issuer key's SPKI, the signed text, the signature),
 * each part length-prefixed. Only successes are stored; a changed byte anywhere gives another key,
 * so tampered input is a miss and is verified in full.
 *
 * <p>What stays per use: every time-dependent check. A chain hit re-checks each certificate's
 * validity window against the caller's instant (from the verifier's injected {@code Clock}) and
 * falls back to full validation, which reports the precise error, when one is not valid then.
 * Callers still check CRL issuers, windows and revocation, TCB Info / QE Identity windows and ids,
 * and the quote's own signatures (quote, QE report) on every use. Entries are never used outside
 * their certificates' validity; the least recently used are evicted.
 *
 * <p>The cache belongs to one verifier, so the set of trusted roots is fixed for its lifetime.
 * Bounded (least recently used entries are evicted first). Thread-safe.
 */
final class VerificationCache {
  static final int DEFAULT_CAPACITY = 64;
  /** The value of a verified signature (the key says everything). */
  private static final Object VERIFIED = new Object();

  private final int capacity;
  private final Map<ByteBuffer, Object> entries;
  private long hits;
  private long misses;

  VerificationCache(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("expected a capacity of at least 1, found " + capacity);
    }
    this.capacity = capacity;
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<ByteBuffer, Object> eldest) {
        return size() > VerificationCache.this.capacity;
      }
    };
  }

  /** {@link CertChains#validate}, skipping the signature and path checks for a known chain. */
  CertChains.Validated validate(List<X509Certificate> chain, List<TrustedRoot> roots, Instant at,
      String step) throws AttestationException {
    ByteBuffer key = chainKey(chain);
    Object cached = get(key);
    if (cached instanceof CertChains.Validated v && validAt(v, at)) {
      return v;
    }
    CertChains.Validated v = CertChains.validate(chain, roots, at, step);
    put(key, v);
    return v;
  }

  /** Whether {@code crl} is signed by {@code issuerKey} (a success is remembered). */
  boolean crlSignatureValid(X509CRL crl, PublicKey issuerKey) {
    ByteBuffer key;
    try {
      key = key("crl", issuerKey.getEncoded(), crl.getEncoded());
    } catch (java.security.cert.CRLException e) {
      return false;
    }
    if (get(key) == VERIFIED) {
      return true;
    }
    try {
      crl.verify(issuerKey);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
    put(key, VERIFIED);
    return true;
  }

  /** {@link Ecdsa#verify} over {@code data} (a success is remembered). */
  boolean ecdsaValid(PublicKey publicKey, byte[] data, byte[] rawSignature) {
    ByteBuffer key = key("ecdsa-p1363-sha256", publicKey.getEncoded(), data, rawSignature);
    if (get(key) == VERIFIED) {
      return true;
    }
    boolean ok;
    try {
      ok = Ecdsa.verify(publicKey, data, rawSignature);
    } catch (RuntimeException e) {
      ok = false;
    }
    if (ok) {
      put(key, VERIFIED);
    }
    return ok;
  }

  synchronized int size() {
    return entries.size();
  }

  synchronized long hits() {
    return hits;
  }

  synchronized long misses() {
    return misses;
  }

  private synchronized Object get(ByteBuffer key) {
    Object v = entries.get(key);
    if (v == null) {
      misses++;
    } else {
      hits++;
    }
    return v;
  }

  private synchronized void put(ByteBuffer key, Object value) {
    entries.put(key, value);
  }

  /** Whether every certificate of the path is within its validity window at {@code at}. */
  private boolean validAt(CertChains.Validated v, Instant at) {
    Date when = Date.from(at);
    for (X509Certificate c : v.path) {
      if (when.before(c.getNotBefore()) || when.after(c.getNotAfter())) {
        return false;
      }
    }
    return true;
  }

  private static ByteBuffer chainKey(List<X509Certificate> chain) throws AttestationException {
    byte[][] parts = new byte[chain.size()][];
    for (int i = 0; i < parts.length; i++) {
      try {
        parts[i] = chain.get(i).getEncoded();
      } catch (CertificateEncodingException e) {
        throw new AttestationException(AttestationException.Reason.MALFORMED, "certificate",
            "certificate cannot be encoded (" + e.getClass().getSimpleName() + ")");
      }
    }
    return key("chain", parts);
  }

  private static ByteBuffer key(String kind, byte[]... parts) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] label = kind.getBytes(StandardCharsets.US_ASCII);
    sha.update(ByteBuffer.allocate(4).putInt(label.length).array());
    sha.update(label);
    for (byte[] p : parts) {
      sha.update(ByteBuffer.allocate(4).putInt(p.length).array());
      sha.update(p);
    }
    return ByteBuffer.wrap(sha.digest());
  }
}
