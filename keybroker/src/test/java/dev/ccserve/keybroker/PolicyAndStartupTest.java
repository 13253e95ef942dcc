package dev.ccserve.keybroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.attestation.simulated.SimulatedEvidenceProvider;
import dev.ccserve.keybroker.KeyBrokerException.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Policy file format, reload, and start-up refusals. */
class PolicyAndStartupTest extends BrokerTestBase {
  static String otherMr;
  static final Set<String> SECRETS = Set.of("k1", "k2");

  @BeforeAll
  static void more() throws Exception {
    otherMr = SimulatedPlatform.measurement(shared, "other").hex();
  }

  @Test
  void policyReload_fileChanged_takesEffect() throws Exception {
    tb.writePolicy(TestBroker.policy(otherMr, true, false)).start(platform.verifier(CLOCK), CLOCK);
    assertThatThrownBy(() -> tb.client(good).provision()).isInstanceOf(KeyBrokerException.class);

    tb.writePolicy(TestBroker.policy(goodMr, true, false));

    long deadline = System.nanoTime() + 20_000_000_000L;
    KeyBrokerException last = null;
    while (System.nanoTime() < deadline) {
      try {
        assertThat(tb.client(good).provision().wrapKeys()).containsKey(TestBroker.SECRET);
        return;
      } catch (KeyBrokerException e) {
        last = e;
        Thread.sleep(100);
      }
    }
    throw new AssertionError("policy change not picked up", last);
  }

  @Test
  void policyReload_badNewPolicy_keepsOld() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false)).start(platform.verifier(CLOCK), CLOCK);
    Files.writeString(tb.policyFile, "entries: [ {name: x, reference: {sgx: {mr_enclave: nothex}}} ]\n");

    assertThatThrownBy(() -> tb.broker.reloadPolicy()).isInstanceOf(KeyBrokerException.class)
        .hasMessageContaining("mr_enclave");
    assertThat(tb.client(good).provision().policyEntry()).isEqualTo("test-entry");
  }

  @Test
  void start_secretReadableByOthers_refusedWithChmodHint() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false));
    Path secret = tb.secretsDir.resolve(TestBroker.SECRET);
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));

    assertThatThrownBy(() -> tb.start(platform.verifier(CLOCK), CLOCK))
        .isInstanceOfSatisfying(KeyBrokerException.class, e -> {
          assertThat(e.kind()).isEqualTo(Kind.CONFIGURATION);
          assertThat(e.getMessage()).contains("chmod 600 " + secret).contains("rw-r--r--");
        });
  }

  @Test
  void start_policyNamesMissingSecret_errorNamesField() throws Exception {
    tb.writePolicy(TestBroker.policy(goodMr, true, false).replace("secrets: [model_key]", "secrets: [model_key, nope]"));

    assertThatThrownBy(() -> tb.start(platform.verifier(CLOCK), CLOCK))
        .isInstanceOf(KeyBrokerException.class)
        .hasMessageContaining("entries[0].secrets[1]")
        .hasMessageContaining("\"nope\"");
  }

  @Test
  void parse_unknownEntryKey_errorNamesField() {
    String yaml = "entries:\n  - name: a\n    reference: {sgx: {mr_signer: [\"" + "ab".repeat(32) + "\"]}}\n"
        + "    alow_no_nonce: true\n";

    assertThatThrownBy(() -> BrokerPolicyLoader.parse(yaml, "p.yaml", SECRETS))
        .hasMessageContaining("p.yaml")
        .hasMessageContaining("entries[0].alow_no_nonce");
  }

  @Test
  void parse_badReferenceValue_errorNamesEntryAndField() {
    String yaml = "entries:\n  - name: a\n    reference: {sgx: {mr_enclave: [\"xyz\"]}}\n";

    assertThatThrownBy(() -> BrokerPolicyLoader.parse(yaml, "p.yaml", SECRETS))
        .hasMessageContaining("entries[0].reference")
        .hasMessageContaining("mr_enclave");
  }

  @Test
  void parse_badServiceNameAndDuplicateNames_rejected() {
    String ref = "    reference: {sgx: {mr_signer: [\"" + "ab".repeat(32) + "\"]}}\n";
    assertThatThrownBy(() -> BrokerPolicyLoader.parse("entries:\n  - name: a\n" + ref
            + "    service_names: [\"bad name\"]\n", "p.yaml", SECRETS))
        .hasMessageContaining("entries[0].service_names[0]");
    assertThatThrownBy(() -> BrokerPolicyLoader.parse("entries:\n  - name: a\n" + ref + "  - name: a\n" + ref,
            "p.yaml", SECRETS))
        .hasMessageContaining("entries[1].name");
    assertThatThrownBy(() -> BrokerPolicyLoader.parse("entries: []\n", "p.yaml", SECRETS))
        .hasMessageContaining("entries");
  }

  @Test
  void parse_fullEntry_readsEveryField() throws Exception {
    String yaml = "entries:\n"
        + "  - name: prod\n"
        + "    reference:\n"
        + "      sgx: {mr_enclave: [\"" + "cd".repeat(32) + "\"], isv_prod_id: 3, min_isv_svn: 2}\n"
        + "      accepted_tcb_statuses: [UpToDate, SWHardeningNeeded]\n"
        + "    secrets: [k1, k2]\n"
        + "    secret_prov_secret: k2\n"
        + "    service_names: [a.example.com, 10.0.0.1]\n"
        + "    allow_no_nonce: true\n";

    PolicyEntry e = BrokerPolicyLoader.parse(yaml, "p.yaml", SECRETS).entries().get(0);

    assertThat(e.name()).isEqualTo("prod");
    assertThat(e.reference().name()).isEqualTo("prod");
    assertThat(e.reference().sgx().isvProdId()).isEqualTo(3);
    assertThat(e.reference().acceptedTcbStatuses()).hasSize(2);
    assertThat(e.secrets()).containsExactly("k1", "k2");
    assertThat(e.secretProvSecret()).isEqualTo("k2");
    assertThat(e.serviceNames()).containsExactly("a.example.com", "10.0.0.1");
    assertThat(e.allowNoNonce()).isTrue();
  }

  @Test
  void parse_defaults_strict() throws Exception {
    String yaml = "entries:\n  - name: a\n    reference: {sgx: {mr_enclave: [\"" + "cd".repeat(32) + "\"]}}\n"
        + "    secrets: [k1]\n";

    PolicyEntry e = BrokerPolicyLoader.parse(yaml, "p.yaml", SECRETS).entries().get(0);

    assertThat(e.allowNoNonce()).isFalse();
    assertThat(e.secretProvSecret()).isEqualTo("k1");
    assertThat(e.reference().trustSimulatedInsecure()).isFalse();
    assertThat(e.reference().allowDebugEnclavesInsecure()).isFalse();
    assertThat(e.serviceNames()).isEmpty();
  }
}
