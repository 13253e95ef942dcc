package dev.ccserve.attestation.ratls;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.EvidenceClaims;
import dev.ccserve.attestation.EvidenceVerifier;
import dev.ccserve.attestation.policy.PolicyGate;
import dev.ccserve.attestation.policy.VerifiedClaims;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A JSSE trust manager that accepts peers by remote attestation. For a peer certificate carrying
 * an RA-TLS extension it: requires the certificate alone (self-signed, as Gramine's) and valid at
 * the clock's instant; extracts the evidence and checks its key binding ({@link
 * RaTlsEvidenceExtractor}); verifies the evidence with the {@link EvidenceVerifier}; re-checks the
 * binding against the VERIFIED report_data; applies the {@link PolicyGate}; and, when a {@link
 * NonceValidator} is configured, requires a fresh {@code "nonce"} claim. The resulting {@link
 * VerifiedPeer} is stored in the handshake session (see {@link #verifiedPeer(SSLSession)}), in a
 * bounded map keyed by certificate ({@link #verifiedPeer(X509Certificate)}) and passed to the
 * optional listener.
 *
 * <p>A peer certificate WITHOUT RA-TLS extensions is handed to the PKIX fallback trust manager, if
 * one is configured, through the same socket/engine variant, so the JDK's chain validation and
 * endpoint identification (hostname check) run exactly as without this class; otherwise it is
 * rejected. RA-TLS certificates are never subject to hostname checks: their identity is the
 * attested code, not a name.
 *
 * <p>Failures are {@link CertificateException}s whose cause is the {@link AttestationException}
 * (reason and step; no key bytes or whole quotes). Thread-safe.
 */
public final class RaTlsTrustManager extends X509ExtendedTrustManager {
  /** {@link SSLSession} value name under which the {@link VerifiedPeer} is stored. */
  public static final String SESSION_KEY = "dev.ccserve.attestation.ratls.VerifiedPeer";
  private static final int MAX_REMEMBERED = 1024;

  private final EvidenceVerifier verifier;
  private final PolicyGate gate;
  private final NonceValidator nonces;
  private final X509ExtendedTrustManager pkix;
  private final Clock clock;
  private final Consumer<VerifiedPeer> listener;
  private final Map<X509Certificate, VerifiedPeer> byCert =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<X509Certificate, VerifiedPeer> e) {
          return size() > MAX_REMEMBERED;
        }
      };

  private RaTlsTrustManager(Builder b) {
    this.verifier = Objects.requireNonNull(b.verifier, "verifier");
    this.gate = Objects.requireNonNull(b.gate, "policyGate");
    this.clock = Objects.requireNonNull(b.clock, "clock");
    this.nonces = b.nonces;
    this.pkix = b.pkix;
    this.listener = b.listener;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Runs the full RA-TLS check on one certificate, outside any handshake (the broker can use it
   * on a peer certificate it already holds).
   */
  public VerifiedPeer verify(X509Certificate cert) throws AttestationException {
    RaTlsEvidence ev = RaTlsEvidenceExtractor.extract(cert);
    EvidenceClaims claims = verifier.verify(ev.evidence());
    if (!ev.boundTo(claims.reportData())) {
      throw new AttestationException(
          Reason.KEY_BINDING_MISMATCH, "ratls_binding",
          "verified report_data does not carry the certificate's key binding (evidence " + ev.evidence().digest() + ")");
    }
    VerifiedClaims accepted = gate.check(claims);
    if (nonces != null) {
      byte[] nonce = ev.nonce().orElseThrow(() -> new AttestationException(
          Reason.NONCE_STALE, "nonce", "expected a \"nonce\" claim in the RA-TLS certificate, found none"));
      nonces.validate(nonce);
    }
    VerifiedPeer peer = new VerifiedPeer(cert, ev, accepted);
    synchronized (byCert) {
      byCert.put(cert, peer);
    }
    if (listener != null) {
      listener.accept(peer);
    }
    return peer;
  }

  /** The last successful verification of {@code cert}, if it is still remembered. */
  public Optional<VerifiedPeer> verifiedPeer(X509Certificate cert) {
    synchronized (byCert) {
      return Optional.ofNullable(byCert.get(cert));
    }
  }

  /** The RA-TLS peer verified during the handshake of {@code session}, if any. */
  public static Optional<VerifiedPeer> verifiedPeer(SSLSession session) {
    return session != null && session.getValue(SESSION_KEY) instanceof VerifiedPeer p
        ? Optional.of(p)
        : Optional.empty();
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain, authType, null, null, true);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain, authType, null, null, false);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, authType, socket, null, true);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, authType, socket, null, false);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, authType, null, engine, true);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, authType, null, engine, false);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return pkix == null ? new X509Certificate[0] : pkix.getAcceptedIssuers();
  }

  private void check(X509Certificate[] chain, String authType, Socket socket, SSLEngine engine, boolean client)
      throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("expected a peer certificate, found none");
    }
    X509Certificate leaf = chain[0];
    if (!RaTlsEvidenceExtractor.isRaTls(leaf)) {
      delegate(chain, authType, socket, engine, client);
      return;
    }
    if (chain.length != 1) {
      throw new CertificateException(
          "expected a lone self-signed RA-TLS certificate, found a chain of " + chain.length);
    }
    VerifiedPeer peer;
    try {
      leaf.checkValidity(Date.from(clock.instant()));
      leaf.verify(leaf.getPublicKey());
      peer = verify(leaf);
    } catch (AttestationException e) {
      throw new CertificateException("RA-TLS peer rejected: " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new CertificateException("RA-TLS certificate invalid: " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
    }
    SSLSession hs = socket instanceof SSLSocket s ? s.getHandshakeSession()
        : engine != null ? engine.getHandshakeSession() : null;
    if (hs != null) {
      hs.putValue(SESSION_KEY, peer);
    }
  }

  private void delegate(X509Certificate[] chain, String authType, Socket socket, SSLEngine engine, boolean client)
      throws CertificateException {
    if (pkix == null) {
      throw new CertificateException(
          "peer certificate " + chain[0].getSubjectX500Principal().getName()
              + " carries no RA-TLS evidence and no PKIX fallback is configured");
    }
    if (client) {
      if (socket != null) {
        pkix.checkClientTrusted(chain, authType, socket);
      } else if (engine != null) {
        pkix.checkClientTrusted(chain, authType, engine);
      } else {
        pkix.checkClientTrusted(chain, authType);
      }
    } else {
      if (socket != null) {
        pkix.checkServerTrusted(chain, authType, socket);
      } else if (engine != null) {
        pkix.checkServerTrusted(chain, authType, engine);
      } else {
        pkix.checkServerTrusted(chain, authType);
      }
    }
  }

  /** Builder; not thread-safe. {@code verifier}, {@code policyGate} and {@code clock} are required. */
  public static final class Builder {
    private EvidenceVerifier verifier;
    private PolicyGate gate;
    private NonceValidator nonces;
    private X509ExtendedTrustManager pkix;
    private Clock clock;
    private Consumer<VerifiedPeer> listener;

    private Builder() {}

    public Builder verifier(EvidenceVerifier v) {
      this.verifier = v;
      return this;
    }

    public Builder policyGate(PolicyGate g) {
      this.gate = g;
      return this;
    }

    /** Require a fresh nonce claim, judged by {@code n}. */
    public Builder nonceValidator(NonceValidator n) {
      this.nonces = n;
      return this;
    }

    /**
     * Trust manager for peers WITHOUT RA-TLS extensions (e.g. the JDK's PKIX one from {@link
     * javax.net.ssl.TrustManagerFactory}); without it such peers are rejected.
     */
    public Builder pkixFallback(X509ExtendedTrustManager tm) {
      this.pkix = tm;
      return this;
    }

    public Builder clock(Clock c) {
      this.clock = c;
      return this;
    }

    /** Called after every successful RA-TLS verification (on the handshake thread). */
    public Builder listener(Consumer<VerifiedPeer> l) {
      this.listener = l;
      return this;
    }

    public RaTlsTrustManager build() {
      return new RaTlsTrustManager(this);
    }
  }
}
