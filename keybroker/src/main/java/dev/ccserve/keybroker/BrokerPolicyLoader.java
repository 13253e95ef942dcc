package dev.ccserve.keybroker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.ccserve.attestation.policy.PolicyFormatException;
import dev.ccserve.attestation.policy.ReferencePolicy;
import dev.ccserve.attestation.policy.ReferencePolicyLoader;
import dev.ccserve.keybroker.KeyBrokerException.Kind;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads the broker policy (YAML, or JSON as a subset). Strict: unknown keys are errors, every
 * error names the file and the field ({@code entries[1].secrets[0]}) and says what was expected and
 * what was found. The {@code reference} part of each entry is handed to the attestation module's
 * {@link ReferencePolicyLoader} unchanged (its {@code name} defaults to the entry's name).
 *
 * <pre>
 * entries:
 *   - name: resnet-prod                   # required, unique
 *     reference: {sgx: {mr_enclave: [...], mr_signer: [...], isv_prod_id: 0, min_isv_svn: 1}}
 *     secrets: [resnet_wrap_key]           # names of files in --secrets
 *     secret_prov_secret: resnet_wrap_key  # for Gramine clients; default: the only secret
 *     service_names: [resnet.example.com]  # SANs of serving certificates
 *     allow_no_nonce: false                # DANGEROUS when true
 * </pre>
 *
 * Stateless and thread-safe.
 */
final class BrokerPolicyLoader {
  private static final Set<String> TOP = Set.of("entries");
  private static final Set<String> ENTRY = Set.of("name", "reference", "secrets", "secret_prov_secret",
      "service_names", "allow_no_nonce");
  private static final Pattern DNS = Pattern.compile(
      "(?i)(\\*\\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

  private BrokerPolicyLoader() {}

  static BrokerPolicy load(Path file, Set<String> secretNames) throws KeyBrokerException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new KeyBrokerException(Kind.CONFIGURATION,
          "--policy: cannot read " + file + ": " + e.getClass().getSimpleName(), e);
    }
    return parse(text, file.toString(), secretNames);
  }

  static BrokerPolicy parse(String text, String source, Set<String> secretNames) throws KeyBrokerException {
    JsonNode root;
    try {
      root = new YAMLMapper().readTree(text);
    } catch (IOException e) {
      String m = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
      throw bad(source, "not valid YAML: " + m);
    }
    if (root == null || !root.isObject()) {
      throw bad(source, "expected a mapping with key \"entries\" at the top level");
    }
    keys(root, TOP, "", source);
    JsonNode entries = root.get("entries");
    if (entries == null || !entries.isArray() || entries.isEmpty()) {
      throw bad(source, "entries: expected a non-empty list of policy entries, found "
          + (entries == null ? "nothing" : entries.getNodeType().toString()));
    }
    List<PolicyEntry> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < entries.size(); i++) {
      PolicyEntry e = entry(entries.get(i), "entries[" + i + "]", source, secretNames);
      if (!names.add(e.name())) {
        throw bad(source, "entries[" + i + "].name: expected a unique name, found \"" + e.name()
            + "\" twice");
      }
      out.add(e);
    }
    return new BrokerPolicy(source, out);
  }

  private static PolicyEntry entry(JsonNode n, String at, String source, Set<String> secretNames)
      throws KeyBrokerException {
    if (!n.isObject()) {
      throw bad(source, at + ": expected a mapping, found " + n.getNodeType());
    }
    keys(n, ENTRY, at + ".", source);
    JsonNode nameNode = n.get("name");
    if (nameNode == null || !nameNode.isTextual() || nameNode.textValue().isBlank()) {
      throw bad(source, at + ".name: expected a non-empty string, found "
          + (nameNode == null ? "nothing" : nameNode.toString()));
    }
    String name = nameNode.textValue();
    ReferencePolicy reference = reference(n.get("reference"), at + ".reference", name, source);
    List<String> secrets = strings(n, "secrets", at, source);
    for (int i = 0; i < secrets.size(); i++) {
      if (!secretNames.contains(secrets.get(i))) {
        throw bad(source, at + ".secrets[" + i + "]: expected the name of a file in the secrets directory "
            + new TreeSet<>(secretNames) + ", found \"" + secrets.get(i) + "\"");
      }
    }
    String sp = null;
    JsonNode spn = n.get("secret_prov_secret");
    if (spn != null && !spn.isNull()) {
      if (!spn.isTextual() || !secrets.contains(spn.textValue())) {
        throw bad(source, at + ".secret_prov_secret: expected one of this entry's secrets " + secrets
            + ", found " + spn);
      }
      sp = spn.textValue();
    } else if (secrets.size() == 1) {
      sp = secrets.get(0);
    }
    List<String> services = strings(n, "service_names", at, source);
    for (int i = 0; i < services.size(); i++) {
      if (!isServiceName(services.get(i))) {
        throw bad(source, at + ".service_names[" + i + "]: expected a DNS name or IP address, found \""
            + services.get(i) + "\"");
      }
    }
    boolean noNonce = false;
    JsonNode nn = n.get("allow_no_nonce");
    if (nn != null && !nn.isNull()) {
      if (!nn.isBoolean()) {
        throw bad(source, at + ".allow_no_nonce: expected true or false, found " + nn);
      }
      noNonce = nn.booleanValue();
    }
    return new PolicyEntry(name, reference, secrets, sp, services, noNonce);
  }

  private static ReferencePolicy reference(JsonNode n, String at, String entryName, String source)
      throws KeyBrokerException {
    if (n == null || !n.isObject()) {
      throw bad(source, at + ": expected a mapping of reference values (sgx/tdx/snp, ...), found "
          + (n == null ? "nothing" : n.getNodeType().toString()));
    }
    ObjectNode copy = n.deepCopy();
    if (!copy.has("name")) {
      copy.put("name", entryName);
    }
    try {
      return ReferencePolicyLoader.parse(new ObjectMapper().writeValueAsString(copy), source + " " + at);
    } catch (PolicyFormatException e) {
      throw new KeyBrokerException(Kind.CONFIGURATION, e.getMessage(), e);
    } catch (IOException e) {
      throw bad(source, at + ": cannot re-serialise: " + e.getClass().getSimpleName());
    }
  }

  private static List<String> strings(JsonNode n, String key, String at, String source)
      throws KeyBrokerException {
    JsonNode v = n.get(key);
    List<String> out = new ArrayList<>();
    if (v == null || v.isNull()) {
      return out;
    }
    if (v.isTextual()) {
      out.add(v.textValue());
      return out;
    }
    if (!v.isArray()) {
      throw bad(source, at + "." + key + ": expected a list of strings, found " + v.getNodeType());
    }
    for (int i = 0; i < v.size(); i++) {
      if (!v.get(i).isTextual()) {
        throw bad(source, at + "." + key + "[" + i + "]: expected a string, found " + v.get(i).getNodeType());
      }
      out.add(v.get(i).textValue());
    }
    return out;
  }

  private static void keys(JsonNode n, Set<String> allowed, String prefix, String source)
      throws KeyBrokerException {
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) {
        throw bad(source, "unknown key \"" + prefix + k + "\"; expected one of " + new TreeSet<>(allowed));
      }
    }
  }

  static boolean isServiceName(String s) {
    if (s == null || s.isEmpty() || s.length() > 253) {
      return false;
    }
    if (s.contains(":") && !s.matches("[0-9A-Fa-f:.]+")) {
      return false;
    }
    if (s.matches("\\d{1,3}(\\.\\d{1,3}){3}") || s.contains(":")) {
      try {
        return InetAddress.getByName(s) != null && (s.contains(":") || validIpv4(s));
      } catch (IOException e) {
        return false;
      }
    }
    return DNS.matcher(s).matches();
  }

  private static boolean validIpv4(String s) {
    for (String p : s.split("\\.")) {
      if (Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  private static KeyBrokerException bad(String source, String what) {
    return new KeyBrokerException(Kind.CONFIGURATION, source + ": " + what);
  }
}
