package dev.ccserve.keybroker;

import dev.ccserve.attestation.policy.ReferencePolicy;
import java.util.List;
import java.util.Objects;

/**
 * One entry of the broker policy: the reference values a client's verified evidence must meet,
 * and what a client that meets them may get.
 *
 * @param name unique label (audit log, errors)
 * @param reference reference values, in the attestation module's {@link ReferencePolicy} format
 * @param secrets names of the secrets this entry may release over gRPC (each exists in the store)
 * @param secretProvSecret the secret sent to Gramine secret_prov clients matching this entry, or
 *     null when secret_prov is not served for it (defaults to the only secret when there is one)
 * @param serviceNames DNS names / IP addresses allowed as SANs of serving certificates
 * @param allowNoNonce DANGEROUS when true: evidence without a broker nonce (unmodified Gramine
 *     enclaves; a replayed certificate + key passes) is accepted for this entry
 */
record PolicyEntry(
    String name,
    ReferencePolicy reference,
    List<String> secrets,
    String secretProvSecret,
    List<String> serviceNames,
    boolean allowNoNonce) {

  PolicyEntry {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(reference, "reference");
    secrets = List.copyOf(secrets);
    serviceNames = List.copyOf(serviceNames);
    if (secretProvSecret != null && !secrets.contains(secretProvSecret)) {
      throw new IllegalArgumentException("secret_prov_secret: expected one of " + secrets
          + ", found \"" + secretProvSecret + "\"");
    }
  }
}
