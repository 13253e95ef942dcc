package dev.ccserve.crypto.tls;

/**
 * Whether a TLS server asks for client certificates. The names equal gRPC's
 * {@code TlsServerCredentials.ClientAuth} and Netty's {@code ClientAuth}, so callers convert with
 * {@code valueOf(clientAuth.name())}. TF Serving's {@code client_verify: true} is {@link #REQUIRE},
 * {@code false} is {@link #NONE}.
 */
public enum ClientAuth {
  /** Do not request a client certificate. */
  NONE,
  /** Request one and verify it when sent, but accept clients without one. */
  OPTIONAL,
  /** Require a client certificate that chains to the configured client CA. */
  REQUIRE
}
