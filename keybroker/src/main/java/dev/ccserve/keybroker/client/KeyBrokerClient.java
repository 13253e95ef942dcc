package dev.ccserve.keybroker.client;

import com.google.protobuf.ByteString;
import dev.ccserve.api.keybroker.ChallengeRequest;
import dev.ccserve.api.keybroker.GetSecretsRequest;
import dev.ccserve.api.keybroker.GetSecretsResponse;
import dev.ccserve.api.keybroker.KeyBrokerGrpc;
import dev.ccserve.api.keybroker.SignServingCertificateRequest;
import dev.ccserve.api.keybroker.SignServingCertificateResponse;
import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.EvidenceProvider;
import dev.ccserve.attestation.ratls.RaTlsCertificates;
import dev.ccserve.attestation.ratls.RaTlsKeyManager;
import dev.ccserve.crypto.key.WrapKey;
import dev.ccserve.crypto.tls.CertifiedKey;
import dev.ccserve.crypto.tls.Pem;
import dev.ccserve.crypto.tls.Pkcs10;
import dev.ccserve.crypto.tls.TlsContexts;
import dev.ccserve.crypto.tls.TlsMaterialException;
import dev.ccserve.keybroker.KeyBrokerException;
import dev.ccserve.keybroker.KeyBrokerException.Kind;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Provisions a confidential server from the ccserve key broker: asks for a nonce ({@code
 * Challenge}, on a TLS connection without client certificate), generates a fresh P-256 key pair in
 * this process (the "in-TEE key"), makes a Gramine-layout RA-TLS certificate for it whose evidence
 * from the {@link EvidenceProvider} is bound to the key and the nonce, connects again with mutual
 * TLS presenting that certificate (verifying the broker's certificate against the broker CA and
 * the dialled host name), fetches the named secrets as {@link WrapKey}s and a serving certificate
 * for a CSR of the same key.
 *
 * <p>While the broker is unreachable (connection refused, timeouts, UNAVAILABLE) the whole
 * exchange is retried with exponential backoff until {@link Options#retryBudget()} is spent
 * ({@link Kind#UNAVAILABLE}). A refusal (attestation denied, policy, CSR, TLS handshake rejected)
 * is not retried: it surfaces at once as {@link Kind#DENIED} carrying the broker's reason. Each
 * attempt uses a new nonce and a new key. Thread-safe; {@link #provision()} may be called again.
 */
public final class KeyBrokerClient {
  private final EvidenceProvider provider;
  private final Options options;
  private final Clock clock;
  private final X509ExtendedTrustManager brokerTrust;
  private final X509Certificate brokerCa;

  /**
   * Client options.
   *
   * @param host broker host name or IP (the broker certificate must name it)
   * @param port broker gRPC port (4433 by default)
   * @param brokerCaPem the broker CA certificate(s), PEM
   * @param serviceName the name the serving certificate must carry (allowed by the broker policy)
   * @param secretNames secrets to fetch (each must be a 16-byte wrap key); empty = all the policy allows
   * @param retryBudget total time to keep retrying while the broker is unreachable
   * @param initialBackoff first pause between attempts; doubled each time
   * @param maxBackoff longest pause between attempts
   * @param callTimeout deadline of each gRPC call (includes connecting)
   */
  public record Options(String host, int port, String brokerCaPem, String serviceName, List<String> secretNames,
      Duration retryBudget, Duration initialBackoff, Duration maxBackoff, Duration callTimeout) {
    public Options {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(brokerCaPem, "brokerCaPem");
      Objects.requireNonNull(serviceName, "serviceName");
      secretNames = List.copyOf(secretNames);
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port: expected 1..65535, found " + port);
      }
      for (Duration d : List.of(initialBackoff, maxBackoff, callTimeout)) {
        if (d == null || d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("backoff and timeouts must be positive, found " + d);
        }
      }
      if (retryBudget == null || retryBudget.isNegative()) {
        throw new IllegalArgumentException("retryBudget must be >= 0, found " + retryBudget);
      }
    }

    /** Defaults: 2 min retry budget, backoff 250 ms doubling to 10 s, 10 s per call. */
    public static Options of(String host, int port, String brokerCaPem, String serviceName, List<String> secretNames) {
      return new Options(host, port, brokerCaPem, serviceName, secretNames, Duration.ofMinutes(2),
          Duration.ofMillis(250), Duration.ofSeconds(10), Duration.ofSeconds(10));
    }

    public Options withRetryBudget(Duration budget) {
      return new Options(host, port, brokerCaPem, serviceName, secretNames, budget, initialBackoff, maxBackoff,
          callTimeout);
    }

    public Options withBackoff(Duration initial, Duration max) {
      return new Options(host, port, brokerCaPem, serviceName, secretNames, retryBudget, initial, max, callTimeout);
    }

    public Options withCallTimeout(Duration timeout) {
      return new Options(host, port, brokerCaPem, serviceName, secretNames, retryBudget, initialBackoff, maxBackoff,
          timeout);
    }
  }

  /** @throws KeyBrokerException CONFIGURATION when the broker CA PEM is unusable */
  public KeyBrokerClient(EvidenceProvider provider, Options options, Clock clock) throws KeyBrokerException {
    this.provider = Objects.requireNonNull(provider, "provider");
    this.options = Objects.requireNonNull(options, "options");
    this.clock = Objects.requireNonNull(clock, "clock");
    try {
      this.brokerCa = Pem.readCertificates(options.brokerCaPem()).get(0);
      this.brokerTrust = TlsContexts.client(options.brokerCaPem(), null, null, null, clock).trustManager();
    } catch (TlsMaterialException e) {
      throw new KeyBrokerException(Kind.CONFIGURATION, "broker CA: " + e.getMessage(), e);
    }
  }

  /** Runs the exchange, retrying while the broker is unreachable. */
  public Provisioning provision() throws KeyBrokerException {
    Instant deadline = clock.instant().plus(options.retryBudget());
    Duration backoff = options.initialBackoff();
    int attempt = 0;
    while (true) {
      attempt++;
      try {
        return attempt();
      } catch (Transient t) {
        Instant now = clock.instant();
        if (!now.plus(backoff).isBefore(deadline)) {
          throw new KeyBrokerException(Kind.UNAVAILABLE, "key broker " + options.host() + ":" + options.port()
              + " unreachable after " + attempt + " attempts within " + options.retryBudget() + ": "
              + t.getMessage(), t.getCause());
        }
        sleep(backoff);
        backoff = backoff.multipliedBy(2).compareTo(options.maxBackoff()) > 0 ? options.maxBackoff()
            : backoff.multipliedBy(2);
      }
    }
  }

  private Provisioning attempt() throws KeyBrokerException, Transient {
    byte[] nonce = challenge();
    RaTlsKeyManager km;
    try {
      // P-256, not Gramine's P-384: the broker accepts both, and in the JDK's pure-Java EC code
      // P-256 halves the cost of the key, the certificate, the CSR and both handshake signatures
      // (docs/keybroker.md §12).
      km = RaTlsKeyManager.create(provider, clock, nonce, RaTlsCertificates.DEFAULT_VALIDITY,
          RaTlsCertificates.KeyCurve.P256);
    } catch (AttestationException e) {
      throw new KeyBrokerException(Kind.CONFIGURATION,
          "evidence provider " + provider.name() + " failed: " + e.getMessage(), e);
    }
    X509Certificate raTls = km.certificate();
    PrivateKey key = km.getPrivateKey(RaTlsKeyManager.ALIAS);
    ManagedChannel ch = channel(km);
    try {
      KeyBrokerGrpc.KeyBrokerBlockingStub stub = KeyBrokerGrpc.newBlockingStub(ch);
      GetSecretsResponse secrets = call("GetSecrets", () -> stub
          .withDeadlineAfter(options.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
          .getSecrets(GetSecretsRequest.newBuilder().addAllNames(options.secretNames()).build()));
      Map<String, WrapKey> keys = wrapKeys(secrets);
      byte[] csr = Pkcs10.create(new KeyPair(raTls.getPublicKey(), key), options.serviceName(),
          List.of(options.serviceName()));
      SignServingCertificateResponse cert = call("SignServingCertificate", () -> stub
          .withDeadlineAfter(options.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
          .signServingCertificate(SignServingCertificateRequest.newBuilder()
              .setCsrDer(ByteString.copyFrom(csr)).setServiceName(options.serviceName()).build()));
      CertifiedKey serving = servingKey(key, raTls, cert.getCertChainPem());
      return new Provisioning(keys, serving, brokerCa, secrets.getPolicyEntry());
    } finally {
      ch.shutdownNow();
    }
  }

  private byte[] challenge() throws KeyBrokerException, Transient {
    ManagedChannel ch = channel(null);
    try {
      byte[] nonce = call("Challenge", () -> KeyBrokerGrpc.newBlockingStub(ch)
          .withDeadlineAfter(options.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
          .challenge(ChallengeRequest.getDefaultInstance())).getNonce().toByteArray();
      if (nonce.length < 16 || nonce.length > 256) {
        throw new KeyBrokerException(Kind.PROTOCOL, "expected a 16..256-byte nonce, found " + nonce.length + " bytes");
      }
      return nonce;
    } finally {
      ch.shutdownNow();
    }
  }

  private Map<String, WrapKey> wrapKeys(GetSecretsResponse r) throws KeyBrokerException {
    Map<String, WrapKey> out = new LinkedHashMap<>();
    for (String name : options.secretNames()) {
      if (!r.containsSecrets(name)) {
        throw new KeyBrokerException(Kind.PROTOCOL, "expected secret \"" + name + "\" in the answer, found "
            + r.getSecretsMap().keySet());
      }
    }
    for (Map.Entry<String, ByteString> e : r.getSecretsMap().entrySet()) {
      byte[] b = e.getValue().toByteArray();
      try {
        if (b.length != WrapKey.SIZE_BYTES) {
          throw new KeyBrokerException(Kind.PROTOCOL, "secret \"" + e.getKey() + "\": expected a "
              + WrapKey.SIZE_BYTES + "-byte wrap key, found " + b.length + " bytes");
        }
        out.put(e.getKey(), WrapKey.fromCleartextBytes(b));
      } finally {
        Arrays.fill(b, (byte) 0);
      }
    }
    return out;
  }

  private CertifiedKey servingKey(PrivateKey key, X509Certificate raTls, String chainPem) throws KeyBrokerException {
    try {
      List<X509Certificate> chain = Pem.readCertificates(chainPem);
      X509Certificate leaf = chain.get(0);
      if (!MessageDigest.isEqual(leaf.getPublicKey().getEncoded(), raTls.getPublicKey().getEncoded())) {
        throw new KeyBrokerException(Kind.PROTOCOL, "the serving certificate is not for the in-TEE key");
      }
      leaf.verify(brokerCa.getPublicKey());
      return new CertifiedKey(key, chain);
    } catch (TlsMaterialException | GeneralSecurityException e) {
      throw new KeyBrokerException(Kind.PROTOCOL,
          "expected a serving certificate chain issued by the broker CA, found: " + e.getMessage(), e);
    }
  }

  private ManagedChannel channel(RaTlsKeyManager km) {
    TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(brokerTrust);
    if (km != null) {
      b.keyManager(km);
    }
    ChannelCredentials creds = b.build();
    return NettyChannelBuilder.forAddress(options.host(), options.port(), creds)
        .maxInboundMessageSize(1024 * 1024)
        .build();
  }

  private interface Call<T> {
    T run();
  }

  private <T> T call(String method, Call<T> c) throws KeyBrokerException, Transient {
    try {
      return c.run();
    } catch (StatusRuntimeException e) {
      Status s = e.getStatus();
      String d = s.getDescription() == null ? "" : s.getDescription();
      if (isTlsRejection(e)) {
        throw new KeyBrokerException(Kind.DENIED, "TLS_HANDSHAKE",
            method + ": TLS with the key broker failed (broker certificate not trusted for \"" + options.host()
                + "\", or the broker rejected the RA-TLS client certificate): " + rootMessage(e), e);
      }
      switch (s.getCode()) {
        case UNAVAILABLE:
        case DEADLINE_EXCEEDED:
        case RESOURCE_EXHAUSTED:
        case ABORTED:
          throw new Transient(method + ": " + s.getCode() + (d.isEmpty() ? "" : ": " + d), e);
        default:
          String reason = d.contains("denied: ") ? d.substring(d.indexOf("denied: ") + 8) : s.getCode().name();
          throw new KeyBrokerException(Kind.DENIED, reason,
              "key broker refused " + method + ": " + s.getCode() + ": " + d, e);
      }
    }
  }

  /**
   * True for a TLS failure that will not go away by retrying: a certificate check failed on our
   * side, or the broker sent a TLS alert (it rejected the RA-TLS certificate). A connection reset
   * during the handshake (broker restarting) is NOT a rejection and stays retryable.
   */
  private static boolean isTlsRejection(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof java.security.cert.CertificateException) {
        return true;
      }
      if (c instanceof SSLException && c.getMessage() != null) {
        String m = c.getMessage().toLowerCase(java.util.Locale.ROOT);
        if (m.contains("certificate") || m.contains("alert")) {
          return true;
        }
      }
    }
    return false;
  }

  private static String rootMessage(Throwable t) {
    Throwable r = t;
    while (r.getCause() != null) {
      r = r.getCause();
    }
    return r.getClass().getSimpleName() + ": " + r.getMessage();
  }

  private static void sleep(Duration d) throws KeyBrokerException {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyBrokerException(Kind.UNAVAILABLE, "interrupted while waiting to retry the key broker");
    }
  }

  /** A failure worth retrying. */
  private static final class Transient extends Exception {
    private static final long serialVersionUID = 1L;

    Transient(String message, Throwable cause) {
      super(message, cause);
    }
  }

  @Override
  public String toString() {
    return "KeyBrokerClient[" + options.host() + ":" + options.port() + ", provider=" + provider.name() + "]";
  }
}
