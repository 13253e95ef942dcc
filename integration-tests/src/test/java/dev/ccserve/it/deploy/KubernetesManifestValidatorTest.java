package dev.ccserve.it.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ccserve.it.deploy.KubernetesManifestValidator.Manifest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The offline validator must reject what fabric8 silently accepts (misspelt fields), wrong types,
 * unknown kinds and broken invariants; and accept the shipped manifests (the control case).
 */
class KubernetesManifestValidatorTest {

  private static String resource(String name) throws Exception {
    try (var in = KubernetesManifestValidatorTest.class.getResourceAsStream("/deploy/" + name)) {
      if (in == null) {
        throw new IllegalStateException("expected test resource /deploy/" + name + "; not found");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static List<String> problemsOf(String yaml) {
    List<String> problems = new ArrayList<>();
    KubernetesManifestValidator.parse(yaml, problems);
    return problems;
  }

  @Test
  void validate_shippedServiceWithNamespace_hasNoProblems() throws Exception {
    String shipped = Files.readString(DeployFiles.deploy("kubernetes/base/service.yaml"))
        .replace("  name: ccserve\n", "  name: ccserve\n  namespace: ccserve\n");
    assertThat(problemsOf(shipped)).isEmpty();
  }

  @Test
  void validate_misspeltProtocolField_reportsUnknownFieldWithPath() throws Exception {
    List<String> problems = problemsOf(resource("service-misspelt-protocol.yaml"));
    assertThat(problems).hasSize(1);
    assertThat(problems.get(0)).contains("v1/Service ccserve").contains("unknown field spec.ports[0].protocl");
  }

  @Test
  void validate_misspeltFieldInRenderedOverlay_fails() throws Exception {
    String yaml = Kustomize.render(DeployFiles.deploy("kubernetes/overlays/simulated"));
    List<String> clean = problemsOf(yaml);
    assertThat(clean).isEmpty();
    // Deep inside a Deployment: containers[0].readinessProbe.exec -> "exce".
    String broken = yaml.replaceFirst("readinessProbe:\n(\\s+)exec:", "readinessProbe:\n$1exce:");
    assertThat(broken).isNotEqualTo(yaml);
    assertThat(problemsOf(broken)).anySatisfy(p -> assertThat(p)
        .contains("Deployment ccserve").contains("containers[0].readinessProbe.exce"));
  }

  @Test
  void validate_wrongType_reportsBindingProblem() throws Exception {
    String yaml = resource("service-misspelt-protocol.yaml").replace("protocl: TCP", "protocol: TCP")
        .replace("port: 8500", "port: eighty-five-hundred");
    assertThat(problemsOf(yaml)).singleElement().asString().contains("does not bind to Service");
  }

  @Test
  void validate_duplicateKey_isRejected() throws Exception {
    String yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n  namespace: x\n";
    assertThat(problemsOf(yaml)).singleElement().asString().contains("Duplicate field 'name'");
  }

  @Test
  void validate_unsupportedKind_isReported() throws Exception {
    String yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: x\n";
    assertThat(problemsOf(yaml)).singleElement().asString().contains("found v1/Pod");
  }

  @Test
  void validate_missingNamespace_isReported() throws Exception {
    String yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
    assertThat(problemsOf(yaml)).singleElement().asString().contains("metadata.namespace");
  }

  @Test
  void invariants_brokenDeploymentAndIngress_reportsEach() throws Exception {
    String yaml = Kustomize.render(DeployFiles.deploy("kubernetes/overlays/confidential-vm"));
    String broken = yaml.replaceFirst("(?s)        livenessProbe:\n.*?(        name: ccserve\n)", "$1")
        .replace("-Dorg.bytedeco.javacpp.cachedir=", "-Dorg.bytedeco.javacpp.cache=")
        .replace("  revisionHistoryLimit: 5\n", "  replicas: 3\n  revisionHistoryLimit: 5\n")
        .replace("nginx.ingress.kubernetes.io/ssl-passthrough: \"true\"",
            "nginx.ingress.kubernetes.io/ssl-passthrough: \"false\"");
    List<String> problems = new ArrayList<>();
    List<Manifest> manifests = KubernetesManifestValidator.parse(broken, problems);
    assertThat(problems).isEmpty();
    List<String> invariants = CcserveManifestInvariants.check("confidential-vm", manifests);
    assertThat(invariants).anySatisfy(p -> assertThat(p).contains("expected a livenessProbe"));
    assertThat(invariants).anySatisfy(p -> assertThat(p).contains("-Dorg.bytedeco.javacpp.cachedir"));
    assertThat(invariants).anySatisfy(p -> assertThat(p).contains("ssl-passthrough"));
    assertThat(invariants).anySatisfy(p -> assertThat(p).contains("expected no spec.replicas"));
  }

  @Test
  void invariants_simulatedCheckedAsConfidential_reportsInsecureMarkings() throws Exception {
    String yaml = Kustomize.render(DeployFiles.deploy("kubernetes/overlays/simulated"));
    List<String> problems = new ArrayList<>();
    List<String> invariants = CcserveManifestInvariants.check("confidential-vm",
        KubernetesManifestValidator.parse(yaml, problems));
    assertThat(invariants).anySatisfy(p -> assertThat(p).contains("must not carry the INSECURE label"));
    assertThat(invariants).anySatisfy(p -> assertThat(p).contains("must not trust the simulated TEE"));
    assertThat(invariants).anySatisfy(p -> assertThat(p).contains("expected runtimeClassName kata-qemu-tdx"));
  }
}
