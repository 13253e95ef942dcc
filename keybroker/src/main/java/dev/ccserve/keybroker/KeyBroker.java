package dev.ccserve.keybroker;

import dev.ccserve.attestation.EvidenceVerifier;
import dev.ccserve.attestation.ratls.ExpiringNonceStore;
import dev.ccserve.crypto.tls.TlsContexts;
import dev.ccserve.keybroker.KeyBrokerException.Kind;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ccserve key broker (secret provisioning service). It releases secrets (model wrap keys) and
 * signs serving certificates only to clients that prove by remote attestation, over RA-TLS, that
 * they run code the policy accepts. Two listeners share one policy, secret store, nonce store and
 * audit log:
 *
 * <ul>
 *   <li>gRPC ({@code ccserve.keybroker.v1.KeyBroker}, default port 4433): {@code Challenge} without
 *       client certificate, then {@code GetSecrets} / {@code SignServingCertificate} on a
 *       connection whose RA-TLS client certificate carries the fresh nonce;
 *   <li>Gramine secret_prov (default port 4434): the 35-byte request / 41-byte header protocol for
 *       unmodified Gramine enclaves, only for policy entries with {@code allow_no_nonce}.
 * </ul>
 *
 * Nothing is released before evidence extraction and key binding, evidence verification, the
 * policy and the freshness check pass, and the decision is in the audit log. Start with {@link
 * #builder()}; {@link #close()} stops both listeners. Thread-safe.
 */
public final class KeyBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KeyBroker.class);
  private static final int MAX_OUTSTANDING_NONCES = 10_000;

  private final Server grpc;
  private final SecretProvisionServer secretProv;
  private final PolicyWatcher policy;
  private final AuditLog audit;
  private final ExecutorService executor;

  private KeyBroker(Server grpc, SecretProvisionServer secretProv, PolicyWatcher policy, AuditLog audit,
      ExecutorService executor) {
    this.grpc = grpc;
    this.secretProv = secretProv;
    this.policy = policy;
    this.audit = audit;
    this.executor = executor;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The bound gRPC port. */
  public int grpcPort() {
    return grpc.getPort();
  }

  /** The bound secret_prov port, or -1 when disabled. */
  public int secretProvisionPort() {
    return secretProv == null ? -1 : secretProv.port();
  }

  /** Reloads the policy and secrets now (they are also reloaded on change); keeps the old on error. */
  public void reloadPolicy() throws KeyBrokerException {
    policy.reload();
  }

  /** Blocks until the gRPC server terminates (after {@link #close()}). */
  public void awaitTermination() throws InterruptedException {
    grpc.awaitTermination();
  }

  @Override
  public void close() {
    grpc.shutdown();
    try {
      if (secretProv != null) {
        secretProv.close();
      }
      if (!grpc.awaitTermination(5, TimeUnit.SECONDS)) {
        grpc.shutdownNow();
      }
    } catch (IOException e) {
      LOG.warn("event=close_failed error={}", e.toString());
    } catch (InterruptedException e) {
      grpc.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
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
     * Loads the policy and secrets (refusing bad ones), opens the audit log and starts both
     * listeners.
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
        Thread t = new Thread(r, "keybroker-grpc");
        t.setDaemon(true);
        return t;
      });
      Server server = null;
      try {
        log = AuditLog.open(auditLog);
        ExpiringNonceStore nonces = new ExpiringNonceStore(clock, options.nonceLifetime(), MAX_OUTSTANDING_NONCES);
        Gatekeeper gate = new Gatekeeper(verifier, nonces, clock, options.maxAdmissionAge());
        BrokerCore core = new BrokerCore(watcher, gate, log, clock);
        X509ExtendedKeyManager km = TlsContexts.keyManager(ca.serverKey());
        server = startGrpc(core, nonces, km, executor);
        SecretProvisionServer sp = options.secretProvPort() < 0 ? null : new SecretProvisionServer(core,
            sslContext(km, check(core, SecretProvisionServer.PROTOCOL)), options.bindAddress(),
            options.secretProvPort(), options.readTimeout(), options.maxSecretProvConnections());
        KeyBroker kb = new KeyBroker(server, sp, watcher, log, executor);
        LOG.info("event=started grpc_port={} secret_prov_port={} policy={} entries={} secrets={} audit_log={}",
            kb.grpcPort(), kb.secretProvisionPort(), policyFile, watcher.current().policy().entries().size(),
            watcher.current().secrets().names().size(), auditLog);
        return kb;
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        if (server != null) {
          server.shutdownNow();
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

    private Server startGrpc(BrokerCore core, ExpiringNonceStore nonces, X509ExtendedKeyManager km,
        ExecutorService executor) throws IOException {
      TlsServerCredentials creds = (TlsServerCredentials) TlsServerCredentials.newBuilder()
          .keyManager(km)
          .trustManager(check(core, KeyBrokerGrpcService.PROTOCOL))
          .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
          .build();
      KeyBrokerGrpcService service = new KeyBrokerGrpcService(core, nonces, options.nonceLifetime(),
          new ServingCertificates(ca.authority(), options.servingCertValidity()));
      InetSocketAddress addr = new InetSocketAddress(InetAddress.getByName(options.bindAddress()), options.grpcPort());
      return NettyServerBuilder.forAddress(addr, creds)
          .addService(ServerInterceptors.intercept(service, KeyBrokerGrpcService.transportInterceptor()))
          .executor(executor)
          .maxInboundMessageSize(256 * 1024)
          .handshakeTimeout(options.readTimeout().toMillis(), TimeUnit.MILLISECONDS)
          .maxConnectionIdle(options.maxAdmissionAge().toMillis(), TimeUnit.MILLISECONDS)
          .build()
          .start();
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
