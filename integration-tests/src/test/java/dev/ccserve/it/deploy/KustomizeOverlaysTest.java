package dev.ccserve.it.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ccserve.it.deploy.KubernetesManifestValidator.Manifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Renders every overlay under {@code deploy/kubernetes/overlays} with {@code kubectl kustomize}
 * and validates every object offline: fabric8 schema binding, unknown-field detection, required
 * fields, and ccserve's invariants ({@link CcserveManifestInvariants}).
 */
class KustomizeOverlaysTest {

  static final List<String> OVERLAYS = List.of("simulated", "gramine-sgx", "confidential-vm",
      "confidential-vm-snp");

  @Test
  void overlays_directory_containsExactlyTheTestedOverlays() throws Exception {
    try (Stream<Path> dirs = Files.list(DeployFiles.deploy("kubernetes/overlays"))) {
      assertThat(dirs.map(p -> p.getFileName().toString()).sorted().toList())
          .containsExactlyElementsOf(OVERLAYS.stream().sorted().toList());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"simulated", "gramine-sgx", "confidential-vm", "confidential-vm-snp"})
  void overlay_rendered_passesSchemaAndInvariants(String overlay) throws Exception {
    String yaml = Kustomize.render(DeployFiles.deploy("kubernetes/overlays/" + overlay));
    List<String> problems = new ArrayList<>();
    List<Manifest> manifests = KubernetesManifestValidator.parse(yaml, problems);
    problems.addAll(CcserveManifestInvariants.check(overlay, manifests));

    assertThat(problems).as("problems in overlay " + overlay).isEmpty();
    assertThat(manifests).extracting(Manifest::id).contains("Namespace/" + namespaceOf(manifests),
        "Deployment/ccserve", "Service/ccserve", "Service/ccserve-keybroker",
        "PersistentVolumeClaim/ccserve-models", "PodDisruptionBudget/ccserve",
        "HorizontalPodAutoscaler/ccserve", "Ingress/ccserve-grpc");
  }

  @Test
  void simulated_rendered_includesInClusterKeybroker() throws Exception {
    String yaml = Kustomize.render(DeployFiles.deploy("kubernetes/overlays/simulated"));
    List<String> problems = new ArrayList<>();
    List<Manifest> manifests = KubernetesManifestValidator.parse(yaml, problems);
    assertThat(problems).isEmpty();
    assertThat(manifests).extracting(Manifest::id).contains("Deployment/ccserve-keybroker",
        "ConfigMap/ccserve-keybroker-policy", "PersistentVolumeClaim/ccserve-keybroker-state");
  }

  @Test
  void confidentialOverlays_rendered_useExternalKeybroker() throws Exception {
    for (String overlay : List.of("gramine-sgx", "confidential-vm", "confidential-vm-snp")) {
      String yaml = Kustomize.render(DeployFiles.deploy("kubernetes/overlays/" + overlay));
      List<String> problems = new ArrayList<>();
      List<Manifest> manifests = KubernetesManifestValidator.parse(yaml, problems);
      assertThat(manifests).extracting(Manifest::id).doesNotContain("Deployment/ccserve-keybroker");
      assertThat(manifests.stream().map(Manifest::object)
          .filter(o -> o instanceof io.fabric8.kubernetes.api.model.Service)
          .map(o -> (io.fabric8.kubernetes.api.model.Service) o)
          .filter(s -> s.getMetadata().getName().equals("ccserve-keybroker"))
          .map(s -> s.getSpec().getType()).toList()).as(overlay).containsExactly("ExternalName");
    }
  }

  private static String namespaceOf(List<Manifest> manifests) {
    return manifests.stream().map(Manifest::object)
        .filter(o -> o instanceof io.fabric8.kubernetes.api.model.Namespace)
        .map(o -> o.getMetadata().getName()).findFirst().orElse("?");
  }
}
