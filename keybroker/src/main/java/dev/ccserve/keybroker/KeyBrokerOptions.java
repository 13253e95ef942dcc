package dev.ccserve.keybroker;

import java.time.Duration;
import java.util.Objects;

/**
 * Network and timing options of a {@link KeyBroker}. Defaults in {@link #defaults()}: bind
 * 0.0.0.0, gRPC and Gramine secret_prov both on 4433, no extra secret_prov port, serving certificates valid 24 h, nonces valid
 * 60 s, admissions of one connection valid 5 min, 10 s read/handshake timeout, policy polled every
 * 2 s, at most 64 concurrent connections per port.
 *
 * @param bindAddress address to listen on (host name or IP literal)
 * @param grpcPort the main port, serving gRPC and secret_prov (0 = ephemeral)
 * @param secretProvPort an extra port serving only secret_prov (0 = ephemeral, -1 = none)
 * @param servingCertValidity lifetime of issued serving certificates
 * @param nonceLifetime how long a Challenge nonce stays valid
 * @param maxAdmissionAge how long one verified connection may keep calling
 * @param readTimeout handshake and read timeout per connection
 * @param policyPollInterval how often the policy file and secrets directory are checked for changes
 * @param maxSecretProvConnections concurrent connections per port; more are closed at once
 */
public record KeyBrokerOptions(
    String bindAddress,
    int grpcPort,
    int secretProvPort,
    Duration servingCertValidity,
    Duration nonceLifetime,
    Duration maxAdmissionAge,
    Duration readTimeout,
    Duration policyPollInterval,
    int maxSecretProvConnections) {

  public static final int DEFAULT_GRPC_PORT = 4433;

  public KeyBrokerOptions {
    Objects.requireNonNull(bindAddress, "bindAddress");
    port("grpc port", grpcPort, false);
    port("secret_prov port", secretProvPort, true);
    positive("serving_cert_validity", servingCertValidity);
    positive("nonce lifetime", nonceLifetime);
    positive("max admission age", maxAdmissionAge);
    positive("read timeout", readTimeout);
    positive("policy poll interval", policyPollInterval);
    if (maxSecretProvConnections < 1) {
      throw new IllegalArgumentException("max secret_prov connections: expected >= 1, found " + maxSecretProvConnections);
    }
  }

  public static KeyBrokerOptions defaults() {
    return new KeyBrokerOptions("0.0.0.0", DEFAULT_GRPC_PORT, -1, Duration.ofHours(24),
        Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofSeconds(10), Duration.ofSeconds(2), 64);
  }

  public KeyBrokerOptions withBindAddress(String address) {
    return new KeyBrokerOptions(address, grpcPort, secretProvPort, servingCertValidity, nonceLifetime,
        maxAdmissionAge, readTimeout, policyPollInterval, maxSecretProvConnections);
  }

  public KeyBrokerOptions withPorts(int grpc, int secretProv) {
    return new KeyBrokerOptions(bindAddress, grpc, secretProv, servingCertValidity, nonceLifetime,
        maxAdmissionAge, readTimeout, policyPollInterval, maxSecretProvConnections);
  }

  public KeyBrokerOptions withServingCertValidity(Duration d) {
    return new KeyBrokerOptions(bindAddress, grpcPort, secretProvPort, d, nonceLifetime,
        maxAdmissionAge, readTimeout, policyPollInterval, maxSecretProvConnections);
  }

  public KeyBrokerOptions withNonceLifetime(Duration d) {
    return new KeyBrokerOptions(bindAddress, grpcPort, secretProvPort, servingCertValidity, d,
        maxAdmissionAge, readTimeout, policyPollInterval, maxSecretProvConnections);
  }

  public KeyBrokerOptions withReadTimeout(Duration d) {
    return new KeyBrokerOptions(bindAddress, grpcPort, secretProvPort, servingCertValidity, nonceLifetime,
        maxAdmissionAge, d, policyPollInterval, maxSecretProvConnections);
  }

  public KeyBrokerOptions withPolicyPollInterval(Duration d) {
    return new KeyBrokerOptions(bindAddress, grpcPort, secretProvPort, servingCertValidity, nonceLifetime,
        maxAdmissionAge, readTimeout, d, maxSecretProvConnections);
  }

  private static void port(String what, int p, boolean allowDisabled) {
    if (p < (allowDisabled ? -1 : 0) || p > 65535) {
      throw new IllegalArgumentException(what + ": expected 0..65535" + (allowDisabled ? " or -1" : "")
          + ", found " + p);
    }
  }

  private static void positive(String what, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + ": expected a positive duration, found " + d);
    }
  }
}
