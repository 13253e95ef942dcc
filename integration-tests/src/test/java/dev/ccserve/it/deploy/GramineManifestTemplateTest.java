package dev.ccserve.it.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * Offline checks of {@code deploy/gramine/ccserve.manifest.template} (Gramine itself is not
 * installable here): it renders with the Jinja subset it uses into valid TOML, and keeps the
 * security invariants (argv fixed in the manifest, no insecure options, DCAP, encrypted model
 * mount keyed like secret provisioning, broker CA trusted) and the sizing the Kubernetes overlay
 * requests.
 */
class GramineManifestTemplateTest {

  private static final Pattern EXPR = Pattern.compile(
      "\\{\\{\\s*([A-Za-z_][A-Za-z0-9_.]*(?:\\(\\))?)\\s*(?:\\|\\s*default\\('([^']*)'\\)\\s*)?}}");
  private static final Map<String, String> VARS = Map.of(
      "gramine.libos", "/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so",
      "gramine.runtimedir()", "/usr/lib/x86_64-linux-gnu/gramine/runtime/glibc",
      "arch_libdir", "/lib/x86_64-linux-gnu",
      "java_home", "/opt/java/openjdk",
      "keybroker", "ccserve-keybroker:4433",
      "model_name", "resnet50-v15-fp32",
      "service_name", "grpc.tf-serving.service.com");

  /** The subset of gramine-manifest's Jinja the template uses: {{ v }} and {{ v | default('x') }}. */
  static String render(String template, Map<String, String> vars) {
    Matcher m = EXPR.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = vars.containsKey(m.group(1)) ? vars.get(m.group(1)) : m.group(2);
      if (value == null) {
        throw new IllegalArgumentException("template variable " + m.group(1) + " has no value and no default");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    String s = out.toString();
    if (s.contains("{{") || s.contains("{%")) {
      throw new IllegalArgumentException("expected only {{ var }} / default() expressions; found other Jinja");
    }
    return s;
  }

  private static JsonNode manifest() throws Exception {
    String template = Files.readString(DeployFiles.deploy("gramine/ccserve.manifest.template"));
    return new TomlMapper().readTree(render(template, VARS));
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  void template_rendered_isValidTomlWithFixedArgv() throws Exception {
    JsonNode m = manifest();
    List<String> argv = strings(m.path("loader").path("argv"));
    assertThat(argv).startsWith("java");
    assertThat(argv).containsSubsequence("dev.ccserve.cli.Main", "serve");
    assertThat(argv).contains("--port=8500", "--rest_api_port=8501", "--attestation=gramine",
        "--model_name=resnet50-v15-fp32", "--model_base_path=/models/resnet50-v15-fp32",
        "--keybroker=ccserve-keybroker:4433", "--service_name=grpc.tf-serving.service.com");
    assertThat(m.path("libos").path("entrypoint").asText()).isEqualTo("/opt/java/openjdk/bin/java");
  }

  @Test
  void template_rendered_hasNoInsecureOptions() throws Exception {
    String template = Files.readString(DeployFiles.deploy("gramine/ccserve.manifest.template"));
    JsonNode m = manifest();
    assertThat(m.path("loader").has("insecure__use_cmdline_argv")).isFalse();
    assertThat(m.path("loader").has("insecure__use_host_env")).isFalse();
    assertThat(m.path("fs").has("insecure__keys")).isFalse();
    assertThat(m.path("sgx").has("allowed_files")).isFalse();
    assertThat(m.path("sgx").path("debug").asBoolean(true)).isFalse();
    assertThat(m.path("sgx").path("remote_attestation").asText()).isEqualTo("dcap");
    // Not even in the rendered text as a key (comments may explain why it is avoided).
    assertThat(template.lines().filter(l -> !l.trim().startsWith("#")))
        .noneMatch(l -> l.contains("insecure__"));
  }

  @Test
  void template_modelMount_isEncryptedWithTheProvisionedKey() throws Exception {
    JsonNode m = manifest();
    JsonNode mount = StreamSupport.stream(m.path("fs").path("mounts").spliterator(), false)
        .filter(n -> "encrypted".equals(n.path("type").asText())).findFirst().orElseThrow();
    assertThat(mount.path("path").asText()).isEqualTo("/models");
    assertThat(mount.path("key_name").asText()).isEqualTo(
        m.path("loader").path("env").path("SECRET_PROVISION_SET_KEY").asText());
    assertThat(m.path("loader").path("env").path("SECRET_PROVISION_CONSTRUCTOR").asText()).isEqualTo("1");
    assertThat(m.path("loader").path("env").path("SECRET_PROVISION_SERVERS").asText())
        .isEqualTo("ccserve-keybroker:4433");
  }

  @Test
  void template_trustedFiles_coverClassPathNativesAndBrokerCa() throws Exception {
    JsonNode m = manifest();
    List<String> trusted = strings(m.path("sgx").path("trusted_files"));
    List<String> argv = strings(m.path("loader").path("argv"));
    String ca = argv.stream().filter(a -> a.startsWith("--keybroker_ca=")).findFirst().orElseThrow()
        .substring("--keybroker_ca=".length());
    assertThat(trusted).contains("file:" + ca, "file:/opt/java/openjdk/", "file:/opt/ccserve/lib/",
        "file:/opt/ccserve/native/");
    assertThat(m.path("loader").path("env").path("SECRET_PROVISION_CA_CHAIN_PATH").asText()).isEqualTo(ca);
    assertThat(argv).contains("-Djava.library.path=/opt/ccserve/native", "-cp", "/opt/ccserve/lib/*");
    assertThat(Files.readString(DeployFiles.deploy("gramine/Dockerfile"))).contains("-d /opt/ccserve/native");
  }

  @Test
  void template_enclaveSize_coversJvmReservationsAndMatchesKubernetesEpc() throws Exception {
    JsonNode m = manifest();
    long enclave = bytes(m.path("sgx").path("enclave_size").asText());
    assertThat(Long.bitCount(enclave)).as("enclave size is a power of two").isEqualTo(1);
    List<String> argv = strings(m.path("loader").path("argv"));
    long reserved = 0;
    for (String prefix : List.of("-Xmx", "-XX:ReservedCodeCacheSize=", "-XX:CompressedClassSpaceSize=",
        "-XX:MaxMetaspaceSize=")) {
      String flag = argv.stream().filter(a -> a.startsWith(prefix)).findFirst()
          .orElseThrow(() -> new AssertionError("expected JVM flag " + prefix + " in loader.argv"));
      reserved += bytes(flag.substring(prefix.length()));
    }
    long tfAndRuntime = 2L << 30; // native libraries ~0.7 GiB + TF runtime up to 1.3 GB
    assertThat(reserved + tfAndRuntime).as("JVM reservations + TF").isLessThan(enclave);
    assertThat(m.path("sgx").path("max_threads").asInt()).isGreaterThanOrEqualTo(128);

    JsonNode patch = new YAMLMapper().readTree(
        Files.readString(DeployFiles.deploy("kubernetes/overlays/gramine-sgx/sgx-resources.yaml")));
    String epc = patch.at("/spec/template/spec/containers/0/resources/limits").path("sgx.intel.com/epc").asText();
    assertThat(bytes(epc)).as("sgx.intel.com/epc in the gramine-sgx overlay").isEqualTo(enclave);
  }

  @Test
  void render_unknownJinja_isRejected() {
    assertThatThrownBy(() -> render("a = {% if x %}1{% endif %}", VARS))
        .hasMessageContaining("found other Jinja");
    assertThatThrownBy(() -> render("a = \"{{ nothing }}\"", VARS)).hasMessageContaining("nothing");
  }

  /** "8G", "8Gi", "1g", "128m", "512M" to bytes. */
  static long bytes(String size) {
    Matcher m = Pattern.compile("(\\d+)([KkMmGg])i?").matcher(size.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a size like 8G or 128m; found '" + size + "'");
    }
    int shift = switch (Character.toUpperCase(m.group(2).charAt(0))) {
      case 'K' -> 10;
      case 'M' -> 20;
      default -> 30;
    };
    return Long.parseLong(m.group(1)) << shift;
  }

}
