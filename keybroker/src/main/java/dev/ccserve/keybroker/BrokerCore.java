package dev.ccserve.keybroker;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.io.IOException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Objects;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What both protocols share: the current policy and secrets, the {@link Gatekeeper}, the audit
 * log, and the per-connection admission (kept in the TLS session, so that the nonce of a
 * connection is consumed once and later calls on it are re-judged under the current policy).
 * Thread-safe.
 */
final class BrokerCore {
  private static final Logger LOG = LoggerFactory.getLogger(BrokerCore.class);
  static final String SESSION_KEY = "dev.ccserve.keybroker.Admission";

  private final PolicyWatcher policy;
  private final Gatekeeper gate;
  private final AuditLog audit;
  private final Clock clock;

  BrokerCore(PolicyWatcher policy, Gatekeeper gate, AuditLog audit, Clock clock) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.gate = Objects.requireNonNull(gate, "gate");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  Clock clock() {
    return clock;
  }

  BrokerState state() {
    return policy.current();
  }

  AuditEvent event(String peer, String protocol, String method) {
    return AuditEvent.of(clock.instant(), peer, protocol, method);
  }

  /**
   * Admits the client of {@code session} under {@code state}'s policy (first call of a connection:
   * all checks and the nonce; later calls: {@link Gatekeeper#reapply}).
   */
  Admission admit(SSLSession session, BrokerState state, AuditEvent event) throws AttestationException {
    if (session == null) {
      throw new AttestationException(Reason.MALFORMED, "tls", "expected a TLS connection, found none");
    }
    synchronized (session) {
      Object prev = session.getValue(SESSION_KEY);
      if (prev instanceof Admission a) {
        return gate.reapply(a, state.policy(), event);
      }
      Admission a = gate.admit(peerCertificate(session), state.policy(), event);
      session.putValue(SESSION_KEY, a);
      return a;
    }
  }

  /** True when the session's client presented a certificate. */
  static boolean hasClientCertificate(SSLSession session) {
    try {
      return session != null && session.getPeerCertificates().length > 0;
    } catch (SSLPeerUnverifiedException e) {
      return false;
    }
  }

  private static X509Certificate peerCertificate(SSLSession session) throws AttestationException {
    Certificate[] chain;
    try {
      chain = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      chain = new Certificate[0];
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate c)) {
      throw new AttestationException(Reason.MALFORMED, "client_certificate",
          "expected an RA-TLS client certificate on this connection, found none");
    }
    return c;
  }

  /** Appends to the audit log; an audit failure must stop a release, so it propagates. */
  void record(AuditEvent event) throws IOException {
    try {
      audit.append(event);
    } catch (IOException e) {
      LOG.error("event=audit_write_failed file={} error={}", audit.file(), e.toString());
      throw e;
    }
    if (AuditEvent.DENIED.equals(event.get("decision"))) {
      LOG.info("event=denied protocol={} method={} peer={} reason={} step={}", event.get("protocol"),
          event.get("method"), event.get("peer"), event.get("reason"), event.get("step"));
    } else {
      LOG.info("event={} protocol={} method={} peer={} entry={}", event.get("decision"), event.get("protocol"),
          event.get("method"), event.get("peer"), event.get("policy_entry"));
    }
  }

  /** Records a denial; an audit failure is logged (the request is refused anyway). */
  void recordDenial(AuditEvent event) {
    try {
      record(event);
    } catch (IOException e) {
      // already logged
    }
  }
}
