package dev.ccserve.attestation.ratls;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-memory {@link NonceValidator} for a relying party such as the key broker: {@link #issue()}
 * hands out random 32-byte nonces that are valid for {@code lifetime} on the injected clock and can
 * be used once. Unknown, expired and reused nonces are rejected with NONCE_STALE. At most {@code
 * maxOutstanding} nonces are kept (issuing more evicts expired ones first, then fails).
 *
 * <p>Thread-safe. State is lost on restart (outstanding nonces then become unknown).
 */
public final class ExpiringNonceStore implements NonceValidator {
  /** Nonce length in bytes. */
  public static final int NONCE_BYTES = 32;

  private final Clock clock;
  private final Duration lifetime;
  private final int maxOutstanding;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Instant> outstanding = new ConcurrentHashMap<>();

  public ExpiringNonceStore(Clock clock, Duration lifetime, int maxOutstanding) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.lifetime = Objects.requireNonNull(lifetime, "lifetime");
    if (lifetime.isNegative() || lifetime.isZero()) {
      throw new IllegalArgumentException("lifetime must be positive, found " + lifetime);
    }
    if (maxOutstanding < 1) {
      throw new IllegalArgumentException("maxOutstanding must be >= 1, found " + maxOutstanding);
    }
    this.maxOutstanding = maxOutstanding;
  }

  /** Issues a fresh nonce, valid until now + lifetime. */
  public byte[] issue() {
    if (outstanding.size() >= maxOutstanding) {
      evictExpired();
      if (outstanding.size() >= maxOutstanding) {
        throw new IllegalStateException("more than " + maxOutstanding + " outstanding nonces");
      }
    }
    byte[] n = new byte[NONCE_BYTES];
    random.nextBytes(n);
    outstanding.put(HexFormat.of().formatHex(n), clock.instant().plus(lifetime));
    return n;
  }

  @Override
  public void validate(byte[] nonce) throws AttestationException {
    String key = HexFormat.of().formatHex(nonce);
    Instant expiry = outstanding.remove(key);
    if (expiry == null) {
      throw new AttestationException(Reason.NONCE_STALE, "nonce", "nonce was not issued here or was already used");
    }
    Instant now = clock.instant();
    if (now.isAfter(expiry)) {
      throw new AttestationException(
          Reason.NONCE_STALE, "nonce", "nonce expired at " + expiry + "; now " + now);
    }
  }

  /** Number of nonces issued and not yet used or evicted. */
  public int outstanding() {
    return outstanding.size();
  }

  private void evictExpired() {
    Instant now = clock.instant();
    for (Iterator<Map.Entry<String, Instant>> it = outstanding.entrySet().iterator(); it.hasNext(); ) {
      if (now.isAfter(it.next().getValue())) {
        it.remove();
      }
    }
  }
}
