package dev.ccserve.attestation.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.ccserve.attestation.TcbStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a {@link ReferencePolicy} from YAML or JSON. Strict: unknown keys are errors (a typo in a
 * security policy must not silently widen it), hex values are validated, and each error names the
 * field. Format (all keys snake_case; lists may be given as a single string):
 *
 * <pre>
 * name: resnet-prod
 * sgx: {mr_enclave: [hex64...], mr_signer: [hex64...], isv_prod_id: 0, min_isv_svn: 1}
 * tdx: {mr_td: [hex96...], rtmr0: [...], rtmr1: [...], mr_config_id: [...]}
 * snp: {measurement: [hex96...], host_data: [...], min_guest_svn: 0,
 *       policy_bits_required: "0x30000", policy_bits_forbidden: "0x80000"}
 * accepted_tcb_statuses: [UpToDate]          # default UpToDate only
 * denied_advisory_ids: [INTEL-SA-00615]
 * allow_debug_enclaves_insecure: false       # DANGEROUS when true
 * trust_simulated_insecure: false            # DANGEROUS when true
 * report_data_prefix: ""                     # hex
 * </pre>
 */
public final class ReferencePolicyLoader {
  private static final Set<String> TOP = Set.of("name", "sgx", "tdx", "snp", "accepted_tcb_statuses",
      "denied_advisory_ids", "allow_debug_enclaves_insecure", "trust_simulated_insecure",
      "report_data_prefix");
  private static final Set<String> SGX = Set.of("mr_enclave", "mr_signer", "isv_prod_id", "min_isv_svn");
  private static final Set<String> TDX_OTHERS = Set.of("rtmr0", "rtmr1", "rtmr2", "rtmr3",
      "mr_config_id", "mr_owner", "mr_owner_config", "mr_seam", "mr_signer_seam", "mr_servicetd");
  private static final Set<String> SNP_FIXED = Set.of("measurement", "min_guest_svn",
      "policy_bits_required", "policy_bits_forbidden");
  private static final Set<String> SNP_OTHERS = Set.of("host_data", "id_key_digest",
      "author_key_digest", "family_id", "image_id");

  private ReferencePolicyLoader() {}

  /** Loads a policy file; {@code .json} is read as JSON, anything else as YAML. */
  public static ReferencePolicy load(Path file) throws PolicyFormatException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new PolicyFormatException("cannot read policy file " + file + ": " + e.getClass().getSimpleName(), e);
    }
    return parse(text, file.toString());
  }

  /** Parses policy text (YAML, of which JSON is a subset); {@code source} names it in errors. */
  public static ReferencePolicy parse(String text, String source) throws PolicyFormatException {
    JsonNode root;
    try {
      ObjectMapper m = source.endsWith(".json") ? new ObjectMapper() : new YAMLMapper();
      root = m.readTree(text);
    } catch (IOException e) {
      throw new PolicyFormatException(source + ": not valid YAML/JSON: " + firstLine(e.getMessage()), e);
    }
    if (root == null || !root.isObject()) {
      throw new PolicyFormatException(source + ": expected a mapping at the top level");
    }
    try {
      checkKeys(root, TOP, "", source);
      String name = root.hasNonNull("name") ? root.get("name").asText() : source;
      SgxReference sgx = root.hasNonNull("sgx") ? sgx(root.get("sgx"), source) : null;
      TdxReference tdx = root.hasNonNull("tdx") ? tdx(root.get("tdx"), source) : null;
      SnpReference snp = root.hasNonNull("snp") ? snp(root.get("snp"), source) : null;
      Set<TcbStatus> statuses = new LinkedHashSet<>();
      for (String s : strings(root, "accepted_tcb_statuses", source)) {
        statuses.add(TcbStatus.parse(s).orElseThrow(() -> new IllegalArgumentException(
            "accepted_tcb_statuses: expected one of UpToDate, SWHardeningNeeded, ConfigurationNeeded,"
                + " ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded;"
                + " found \"" + s + "\"")));
      }
      return new ReferencePolicy(name, sgx, tdx, snp, statuses,
          strings(root, "denied_advisory_ids", source),
          bool(root, "allow_debug_enclaves_insecure", source),
          bool(root, "trust_simulated_insecure", source),
          root.hasNonNull("report_data_prefix") ? root.get("report_data_prefix").asText() : "");
    } catch (IllegalArgumentException e) {
      throw new PolicyFormatException(source + ": " + e.getMessage(), e);
    }
  }

  private static SgxReference sgx(JsonNode n, String source) throws PolicyFormatException {
    checkKeys(n, SGX, "sgx.", source);
    Integer prod = n.hasNonNull("isv_prod_id") ? integer(n, "isv_prod_id", "sgx.", source) : null;
    int minSvn = n.hasNonNull("min_isv_svn") ? integer(n, "min_isv_svn", "sgx.", source) : 0;
    return new SgxReference(strings(n, "mr_enclave", source), strings(n, "mr_signer", source), prod,
        minSvn);
  }

  private static TdxReference tdx(JsonNode n, String source) throws PolicyFormatException {
    Set<String> allowed = new LinkedHashSet<>(TDX_OTHERS);
    allowed.add("mr_td");
    checkKeys(n, allowed, "tdx.", source);
    return new TdxReference(strings(n, "mr_td", source), others(n, TDX_OTHERS, source));
  }

  private static SnpReference snp(JsonNode n, String source) throws PolicyFormatException {
    Set<String> allowed = new LinkedHashSet<>(SNP_FIXED);
    allowed.addAll(SNP_OTHERS);
    checkKeys(n, allowed, "snp.", source);
    int minSvn = n.hasNonNull("min_guest_svn") ? integer(n, "min_guest_svn", "snp.", source) : 0;
    return new SnpReference(strings(n, "measurement", source), others(n, SNP_OTHERS, source), minSvn,
        bits(n, "policy_bits_required", source), bits(n, "policy_bits_forbidden", source));
  }

  private static Map<String, Set<String>> others(JsonNode n, Set<String> names, String source)
      throws PolicyFormatException {
    Map<String, Set<String>> m = new TreeMap<>();
    for (String k : names) {
      if (n.hasNonNull(k)) {
        m.put(k, strings(n, k, source));
      }
    }
    return m;
  }

  private static void checkKeys(JsonNode n, Set<String> allowed, String prefix, String source)
      throws PolicyFormatException {
    if (!n.isObject()) {
      throw new PolicyFormatException(source + ": expected \"" + prefix.replace(".", "")
          + "\" to be a mapping, found " + n.getNodeType());
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) {
        throw new PolicyFormatException(source + ": unknown key \"" + prefix + k + "\"; expected one of "
            + new java.util.TreeSet<>(allowed));
      }
    }
  }

  private static Set<String> strings(JsonNode n, String key, String source) throws PolicyFormatException {
    JsonNode v = n.get(key);
    Set<String> out = new LinkedHashSet<>();
    if (v == null || v.isNull()) {
      return out;
    }
    if (v.isTextual()) {
      out.add(v.textValue());
      return out;
    }
    if (!v.isArray()) {
      throw new PolicyFormatException(source + ": expected \"" + key + "\" to be a string or a list,"
          + " found " + v.getNodeType());
    }
    for (JsonNode e : v) {
      if (!e.isTextual()) {
        throw new PolicyFormatException(source + ": expected \"" + key + "\" entries to be strings"
            + " (quote hex values), found " + e.getNodeType());
      }
      out.add(e.textValue());
    }
    return out;
  }

  private static int integer(JsonNode n, String key, String prefix, String source)
      throws PolicyFormatException {
    JsonNode v = n.get(key);
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new PolicyFormatException(source + ": expected \"" + prefix + key + "\" to be an integer,"
          + " found " + v.getNodeType() + " " + v.asText());
    }
    return v.intValue();
  }

  private static boolean bool(JsonNode n, String key, String source) throws PolicyFormatException {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw new PolicyFormatException(source + ": expected \"" + key + "\" to be true or false, found "
          + v.asText());
    }
    return v.booleanValue();
  }

  private static long bits(JsonNode n, String key, String source) throws PolicyFormatException {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return 0;
    }
    if (v.isIntegralNumber()) {
      return v.longValue();
    }
    String s = v.asText().trim().toLowerCase(java.util.Locale.ROOT);
    try {
      return s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseUnsignedLong(s);
    } catch (NumberFormatException e) {
      throw new PolicyFormatException(source + ": expected \"snp." + key + "\" to be a number or 0x-hex,"
          + " found \"" + v.asText() + "\"");
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int i = s.indexOf('\n');
    return i < 0 ? s : s.substring(0, i);
  }
}
