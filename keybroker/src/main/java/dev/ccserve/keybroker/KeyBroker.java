package dev.ccserve.keybroker;

import dev.ccserve.attestation.EvidenceVerifier;
import dev.ccserve.attestation.ratls.ExpiringNonceStore;
import dev.ccserve.crypto.tls.TlsContexts;
import dev.ccserve.keybroker.KeyBrokerException.Kind;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ccserve key broker (secret provisioning service). It releases secrets (model wrap keys) and
 * signs serving certificates only to clients that prove by remote attestation, over RA-TLS, that
 * they run code the policy accepts. ONE TLS port (default 4433) serves both protocols; after the
 * handshake the first bytes decide ({@link TlsFrontDoor}):
 *
 * <ul>
 *   <li>the HTTP/2 preface: the gRPC API ({@code ccserve.keybroker.v1.KeyBroker}): {@code
 *       Challenge} without client certificate, then {@code GetSecrets} / {@code
 *       SignServingCertificate} on a connection whose RA-TLS client certificate carries the nonce;
 *   <li>Gramine's 35-byte request: the secret_prov protocol for unmodified Gramine enclaves, only
 *       for policy entries with {@code allow_no_nonce}.
 * </ul>
 *
 * An optional second port serves secret_prov alone. Policy, secrets, nonces and the audit log are
 * shared. Nothing is released before evidence extraction and key binding, evidence verification,
 * the policy and the freshness check pass, and the decision is in the audit log. Start with
 * {@link #builder()}; {@link #close()} stops the listeners. Thread-safe.
 */
public final class KeyBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KeyBroker.class);
  private static final int MAX_OUTSTANDING_NONCES = 10_000;

  private final TlsFrontDoor main;
  private final TlsFrontDoor secretProv;
  private final PolicyWatcher policy;
  private final AuditLog audit;
  private final ExecutorService executor;
  private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);

  private KeyBroker(TlsFrontDoor main, TlsFrontDoor secretProv, PolicyWatcher policy, AuditLog audit,
      ExecutorService executor) {
    this.main = main;
    this.secretProv = secretProv;
    this.policy = policy;
    this.audit = audit;
    this.executor = executor;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The bound main port (gRPC and Gramine secret_prov). */
  public int port() {
    return main.port();
  }

  /** The port gRPC clients use: the main port. */
  public int grpcPort() {
    return main.port();
  }

  /** The dedicated secret_prov port if one is configured, else the main port (which serves it too). */
  public int secretProvisionPort() {
    return secretProv == null ? main.port() : secretProv.port();
  }

  /** Reloads the policy and secrets now (they are also reloaded on change); keeps the old on error. */
  public void reloadPolicy() throws KeyBrokerException {
    policy.reload();
  }

  /** Blocks until {@link #close()} has run. */
  public void awaitTermination() throws InterruptedException {
    stopped.await();
  }

  @Override
  public void close() {
    try {
      main.close();
      if (secretProv != null) {
        secretProv.close();
      }
    } catch (IOException e) {
      LOG.warn("event=close_failed error={}", e.toString());
    } finally {
      stopped.countDown();
      policy.close();
      executor.shutdownNow();
      try {
        audit.close();
      } catch (IOException e) {
        LOG.warn("event=audit_close_failed error={}", e.toString());
      }
    }
    LOG.info("event=stopped");
  }

  /** Builder; not thread-safe. Everything but the options and the clock is required. */
  public static final class Builder {
    private BrokerCa ca;
    private Path policyFile;
    private Path secretsDir;
    private Path auditLog;
    private EvidenceVerifier verifier;
    private KeyBrokerOptions options = KeyBrokerOptions.defaults();
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    public Builder ca(BrokerCa v) {
      this.ca = v;
      return this;
    }

    public Builder policyFile(Path v) {
      this.policyFile = v;
      return this;
    }

    public Builder secretsDir(Path v) {
      this.secretsDir = v;
      return this;
    }

    public Builder auditLog(Path v) {
      this.auditLog = v;
      return this;
    }

    /** Verifies client evidence (e.g. a DCAP verifier; trusting the simulated root is the caller's call). */
    public Builder verifier(EvidenceVerifier v) {
      this.verifier = v;
      return this;
    }

    public Builder options(KeyBrokerOptions v) {
      this.options = v;
      return this;
    }

    public Builder clock(Clock v) {
      this.clock = v;
      return this;
    }

    /**
     * Loads the policy and secrets (refusing bad ones), opens the audit log and starts the
     * listener(s).
     */
    public KeyBroker start() throws KeyBrokerException {
      Objects.requireNonNull(ca, "ca");
      Objects.requireNonNull(policyFile, "policyFile");
      Objects.requireNonNull(secretsDir, "secretsDir");
      Objects.requireNonNull(auditLog, "auditLog");
      Objects.requireNonNull(verifier, "verifier");
      PolicyWatcher watcher = new PolicyWatcher(policyFile, secretsDir, options.policyPollInterval());
      AuditLog log = null;
      ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "keybroker-worker");
        t.setDaemon(true);
        return t;
      });
      TlsFrontDoor mainDoor = null;
      try {
        log = AuditLog.open(auditLog);
        ExpiringNonceStore nonces = new ExpiringNonceStore(clock, options.nonceLifetime(), MAX_OUTSTANDING_NONCES);
        Gatekeeper gate = new Gatekeeper(verifier, nonces, clock, options.maxAdmissionAge());
        BrokerCore core = new BrokerCore(watcher, gate, log, clock);
        X509ExtendedKeyManager km = TlsContexts.keyManager(ca.serverKey());
        KeyBrokerGrpcService service = new KeyBrokerGrpcService(core, nonces, options.nonceLifetime(),
            new ServingCertificates(ca.authority(), options.servingCertValidity()));
        GrpcBridge bridge = new GrpcBridge(service, executor, executor, options.maxAdmissionAge());
        mainDoor = new TlsFrontDoor(core, bridge, sslContext(km, check(core, "tls")), options.bindAddress(),
            options.grpcPort(), options.readTimeout(), options.maxSecretProvConnections());
        TlsFrontDoor sp = options.secretProvPort() < 0 ? null : new TlsFrontDoor(core, null,
            sslContext(km, check(core, TlsFrontDoor.PROTOCOL)), options.bindAddress(),
            options.secretProvPort(), options.readTimeout(), options.maxSecretProvConnections());
        KeyBroker kb = new KeyBroker(mainDoor, sp, watcher, log, executor);
        LOG.info("event=started port={} protocols=grpc,secret_prov secret_prov_port={} policy={} entries={}"
            + " secrets={} audit_log={}", kb.port(), sp == null ? "none" : sp.port(), policyFile,
            watcher.current().policy().entries().size(), watcher.current().secrets().names().size(), auditLog);
        return kb;
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        if (mainDoor != null) {
          try {
            mainDoor.close();
          } catch (IOException x) {
            e.addSuppressed(x);
          }
        }
        watcher.close();
        executor.shutdownNow();
        closeQuietly(log);
        if (e instanceof RuntimeException r && !(e instanceof IllegalArgumentException)) {
          throw r;
        }
        throw new KeyBrokerException(Kind.CONFIGURATION,
            "cannot start the key broker on " + options.bindAddress() + ": " + e.getMessage(), e);
      }
    }

    private RaTlsClientCertificateCheck check(BrokerCore core, String protocol) {
      return new RaTlsClientCertificateCheck(clock, (peer, e) ->
          core.recordDenial(core.event(peer, protocol, "handshake").denied(e)));
    }

    private static SSLContext sslContext(KeyManager km, TrustManager tm) throws GeneralSecurityException {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new KeyManager[] {km}, new TrustManager[] {tm}, null);
      return ctx;
    }

    private static void closeQuietly(AuditLog log) {
      if (log != null) {
        try {
          log.close();
        } catch (IOException e) {
          // nothing to do
        }
      }
    }
  }
}
