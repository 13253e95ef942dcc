package dev.ccserve.keybroker;

import java.util.Objects;

/**
 * The policy and the secrets it refers to, loaded together so that a policy never names a secret
 * missing from its snapshot. Immutable; swapped atomically on reload.
 */
record BrokerState(BrokerPolicy policy, SecretStore secrets) {
  BrokerState {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(secrets, "secrets");
  }

  static BrokerState load(java.nio.file.Path policyFile, java.nio.file.Path secretsDir) throws KeyBrokerException {
    SecretStore s = SecretStore.load(secretsDir);
    return new BrokerState(BrokerPolicyLoader.load(policyFile, s.names()), s);
  }
}
