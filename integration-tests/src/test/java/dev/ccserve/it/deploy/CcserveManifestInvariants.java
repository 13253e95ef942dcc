package dev.ccserve.it.deploy;

import dev.ccserve.it.deploy.KubernetesManifestValidator.Manifest;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ccserve's own rules for its rendered Kubernetes objects, beyond the schema: probes on the gRPC
 * health service, resources sized on RSS, the TF native cache on a disk emptyDir, non-root
 * read-only containers, selectors and port names that connect, the passthrough Ingress, and per
 * overlay the TEE wiring (INSECURE markings for simulated, SGX resources, Kata runtime classes).
 * Stateless; returns problems as messages that say what was expected and what was found.
 */
final class CcserveManifestInvariants {

  static final String SERVER = "ccserve";
  static final String BROKER = "ccserve-keybroker";
  static final String PROBE = "/usr/local/bin/ccserve-grpc-health";
  private static final Pattern CACHE_DIR = Pattern.compile("-Dorg\\.bytedeco\\.javacpp\\.cachedir=(\\S+)");
  private static final BigDecimal GIB = BigDecimal.valueOf(1L << 30);

  private final List<HasMetadata> objects;
  private final List<String> problems = new ArrayList<>();

  private CcserveManifestInvariants(List<Manifest> manifests) {
    this.objects = manifests.stream().map(Manifest::object).toList();
  }

  /** All problems of the rendering of {@code overlay} (a directory name under overlays/). */
  static List<String> check(String overlay, List<Manifest> manifests) {
    CcserveManifestInvariants c = new CcserveManifestInvariants(manifests);
    c.common();
    switch (overlay) {
      case "simulated" -> c.simulated();
      case "gramine-sgx" -> c.gramineSgx();
      case "confidential-vm" -> c.confidentialVm("kata-qemu-tdx");
      case "confidential-vm-snp" -> c.confidentialVm("kata-qemu-snp");
      default -> c.problems.add("expected a known overlay; found " + overlay);
    }
    return List.copyOf(c.problems);
  }

  private void common() {
    Optional<Namespace> ns = find(Namespace.class, null);
    if (ns.isEmpty()) {
      problems.add("expected a Namespace object; found none");
    } else {
      String name = ns.get().getMetadata().getName();
      objects.stream().filter(o -> !(o instanceof Namespace))
          .filter(o -> !name.equals(o.getMetadata().getNamespace()))
          .forEach(o -> problems.add(id(o) + ": expected namespace " + name + "; found "
              + o.getMetadata().getNamespace()));
    }
    Deployment server = require(Deployment.class, SERVER);
    if (server == null) {
      return;
    }
    Container c = container(server, "ccserve");
    if (c == null) {
      return;
    }
    podRules(server, c);
    Map<String, String> podLabels = server.getSpec().getTemplate().getMetadata().getLabels();
    if (!podLabels.entrySet().containsAll(server.getSpec().getSelector().getMatchLabels().entrySet())) {
      problems.add(id(server) + ": expected selector " + server.getSpec().getSelector().getMatchLabels()
          + " to match pod labels " + podLabels);
    }
    if (port(c, "grpc") == null || port(c, "grpc").getContainerPort() != 8500
        || port(c, "rest") == null || port(c, "rest").getContainerPort() != 8501) {
      problems.add(id(server) + ": expected container ports grpc=8500 and rest=8501; found " + c.getPorts());
    }
    probes(server, c);
    memoryAtLeast(server, c, BigDecimal.valueOf(1536L << 20));
    javacppCache(server, c);

    Service svc = require(Service.class, SERVER);
    if (svc != null) {
      if (!podLabels.entrySet().containsAll(svc.getSpec().getSelector().entrySet())) {
        problems.add(id(svc) + ": expected selector " + svc.getSpec().getSelector() + " to select pods "
            + podLabels);
      }
      for (ServicePort p : svc.getSpec().getPorts()) {
        IntOrString t = p.getTargetPort();
        if (t == null || (t.getStrVal() != null && port(c, t.getStrVal()) == null)) {
          problems.add(id(svc) + ": expected targetPort of " + p.getName() + " to name a container port; found " + t);
        }
      }
    }
    Ingress ing = require(Ingress.class, "ccserve-grpc");
    if (ing != null) {
      ingress(ing, svc);
    }
    HorizontalPodAutoscaler hpa = require(HorizontalPodAutoscaler.class, SERVER);
    if (hpa != null && server.getSpec().getReplicas() != null) {
      problems.add(id(server) + ": expected no spec.replicas (the HorizontalPodAutoscaler owns it);"
          + " found " + server.getSpec().getReplicas());
    }
    if (hpa != null) {
      var ref = hpa.getSpec().getScaleTargetRef();
      boolean cpu = hpa.getSpec().getMetrics().stream().anyMatch(m -> m.getResource() != null
          && "cpu".equals(m.getResource().getName()));
      if (!"Deployment".equals(ref.getKind()) || !SERVER.equals(ref.getName()) || !cpu
          || hpa.getSpec().getMinReplicas() == null
          || hpa.getSpec().getMinReplicas() > hpa.getSpec().getMaxReplicas()) {
        problems.add(id(hpa) + ": expected CPU scaling of Deployment/ccserve with min <= max; found "
            + ref.getKind() + "/" + ref.getName() + " cpu=" + cpu);
      }
    }
    PodDisruptionBudget pdb = require(PodDisruptionBudget.class, SERVER);
    if (pdb != null && !podLabels.entrySet().containsAll(
        pdb.getSpec().getSelector().getMatchLabels().entrySet())) {
      problems.add(id(pdb) + ": expected its selector to match the server pods; found "
          + pdb.getSpec().getSelector().getMatchLabels());
    }
    find(Deployment.class, BROKER).ifPresent(b -> {
      Container bc = container(b, "keybroker");
      if (bc != null) {
        podRules(b, bc);
        if (bc.getReadinessProbe() == null || bc.getLivenessProbe() == null) {
          problems.add(id(b) + ": expected readiness and liveness probes");
        }
      }
    });
  }

  private void podRules(Deployment d, Container c) {
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    boolean nonRoot = Boolean.TRUE.equals(c.getSecurityContext() == null ? null : c.getSecurityContext().getRunAsNonRoot())
        || Boolean.TRUE.equals(pod.getSecurityContext() == null ? null : pod.getSecurityContext().getRunAsNonRoot());
    var sc = c.getSecurityContext();
    if (!nonRoot || sc == null || !Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())
        || !Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation()) || sc.getCapabilities() == null
        || !sc.getCapabilities().getDrop().contains("ALL")) {
      problems.add(id(d) + ": expected runAsNonRoot, readOnlyRootFilesystem, no privilege escalation"
          + " and capabilities drop ALL; found " + sc);
    }
    for (String r : List.of("cpu", "memory")) {
      if (c.getResources() == null || c.getResources().getRequests() == null
          || c.getResources().getLimits() == null || !c.getResources().getRequests().containsKey(r)
          || !c.getResources().getLimits().containsKey(r)) {
        problems.add(id(d) + ": expected resources.requests and .limits for " + r + "; found " + c.getResources());
      }
    }
    for (VolumeMount m : c.getVolumeMounts()) {
      if (volume(d, m.getName()) == null) {
        problems.add(id(d) + ": volumeMount " + m.getName() + " has no volume");
      }
    }
  }

  private void probes(Deployment d, Container c) {
    Map<String, Probe> probes = new java.util.LinkedHashMap<>();
    probes.put("startupProbe", c.getStartupProbe());
    probes.put("readinessProbe", c.getReadinessProbe());
    probes.put("livenessProbe", c.getLivenessProbe());
    probes.forEach((kind, p) -> {
      if (p == null) {
        problems.add(id(d) + ": expected a " + kind + "; found none");
        return;
      }
      if (p.getGrpc() != null) {
        problems.add(id(d) + ": " + kind + " uses kubelet's plaintext grpc probe against a TLS port");
      }
      if (p.getTcpSocket() != null) {
        IntOrString port = p.getTcpSocket().getPort();
        if (port.getStrVal() != null ? port(c, port.getStrVal()) == null
            : c.getPorts().stream().noneMatch(cp -> Objects.equals(cp.getContainerPort(), port.getIntVal()))) {
          problems.add(id(d) + ": " + kind + " tcpSocket port " + port + " is not a container port");
        }
      }
    });
    for (String kind : List.of("startupProbe", "readinessProbe")) {
      Probe p = probes.get(kind);
      List<String> cmd = p == null || p.getExec() == null ? List.of() : p.getExec().getCommand();
      if (cmd.isEmpty() || !cmd.get(0).equals(PROBE) || !cmd.contains("127.0.0.1:8500")
          || !cmd.contains("tensorflow.serving.PredictionService")) {
        problems.add(id(d) + ": expected " + kind + " to exec " + PROBE
            + " on 127.0.0.1:8500 for tensorflow.serving.PredictionService; found " + cmd);
      }
    }
  }

  private void memoryAtLeast(Deployment d, Container c, BigDecimal min) {
    Quantity limit = c.getResources() == null || c.getResources().getLimits() == null ? null
        : c.getResources().getLimits().get("memory");
    if (limit == null || Quantity.getAmountInBytes(limit).compareTo(min) < 0) {
      problems.add(id(d) + ": expected a memory limit >= " + min + " bytes (measured RSS at batch 32"
          + " is up to 1.3 GB); found " + limit);
    }
  }

  private void javacppCache(Deployment d, Container c) {
    String opts = c.getEnv().stream().filter(e -> "JAVA_TOOL_OPTIONS".equals(e.getName()))
        .map(EnvVar::getValue).findFirst().orElse("");
    Matcher m = CACHE_DIR.matcher(opts);
    if (!m.find()) {
      problems.add(id(d) + ": expected JAVA_TOOL_OPTIONS to set -Dorg.bytedeco.javacpp.cachedir; found '" + opts + "'");
      return;
    }
    String dir = m.group(1);
    VolumeMount mount = c.getVolumeMounts().stream().filter(v -> dir.equals(v.getMountPath()))
        .findFirst().orElse(null);
    Volume vol = mount == null ? null : volume(d, mount.getName());
    if (vol == null || vol.getEmptyDir() == null || Boolean.TRUE.equals(mount.getReadOnly())) {
      problems.add(id(d) + ": expected a writable emptyDir mounted at the TF native cache " + dir
          + "; found " + (mount == null ? "no mount" : vol));
      return;
    }
    Quantity size = vol.getEmptyDir().getSizeLimit();
    if (size == null || Quantity.getAmountInBytes(size).compareTo(GIB) < 0
        || "Memory".equalsIgnoreCase(vol.getEmptyDir().getMedium())) {
      problems.add(id(d) + ": expected the TF native cache emptyDir on disk with sizeLimit >= 1Gi"
          + " (650 MB extracted); found medium=" + vol.getEmptyDir().getMedium() + " sizeLimit=" + size);
    }
  }

  private void ingress(Ingress ing, Service svc) {
    Map<String, String> a = ing.getMetadata().getAnnotations();
    if (a == null || !"true".equals(a.get("nginx.ingress.kubernetes.io/ssl-passthrough"))
        || !"GRPCS".equals(a.get("nginx.ingress.kubernetes.io/backend-protocol"))) {
      problems.add(id(ing) + ": expected annotations ssl-passthrough \"true\" and backend-protocol"
          + " GRPCS; found " + a);
    }
    var rule = ing.getSpec().getRules().get(0);
    var backend = rule.getHttp().getPaths().get(0).getBackend().getService();
    boolean portExists = svc != null && svc.getSpec().getPorts().stream().anyMatch(
        p -> Objects.equals(p.getName(), backend.getPort().getName())
            || Objects.equals(p.getPort(), backend.getPort().getNumber()));
    if (!"grpc.tf-serving.service.com".equals(rule.getHost()) || !SERVER.equals(backend.getName())
        || !portExists || !"nginx".equals(ing.getSpec().getIngressClassName())) {
      problems.add(id(ing) + ": expected host grpc.tf-serving.service.com -> an existing port of"
          + " Service/ccserve with class nginx; found " + rule.getHost() + " -> " + backend);
    }
  }

  private void simulated() {
    for (HasMetadata o : objects) {
      labelledInsecure(id(o), o.getMetadata().getLabels(), o.getMetadata().getAnnotations());
      if (o instanceof Deployment d) {
        var meta = d.getSpec().getTemplate().getMetadata();
        labelledInsecure(id(o) + " pod template", meta.getLabels(), meta.getAnnotations());
      }
    }
    attestationFlag("simulated");
    Deployment broker = require(Deployment.class, BROKER);
    Service brokerSvc = require(Service.class, BROKER);
    if (broker != null && brokerSvc != null && (!"ClusterIP".equals(brokerSvc.getSpec().getType())
        || brokerSvc.getSpec().getExternalName() != null || brokerSvc.getSpec().getSelector() == null
        || !broker.getSpec().getTemplate().getMetadata().getLabels().entrySet()
            .containsAll(brokerSvc.getSpec().getSelector().entrySet()))) {
      problems.add(id(brokerSvc) + ": expected an in-cluster ClusterIP Service selecting the broker pods;"
          + " found type=" + brokerSvc.getSpec().getType() + " selector=" + brokerSvc.getSpec().getSelector());
    }
    find(Service.class, SERVER).ifPresent(s -> {
      boolean nodePort = "NodePort".equals(s.getSpec().getType()) && s.getSpec().getPorts().stream()
          .anyMatch(p -> Objects.equals(p.getNodePort(), 30500) && Objects.equals(p.getPort(), 8500));
      if (!nodePort) {
        problems.add(id(s) + ": expected the seed's NodePort 30500 for gRPC; found " + s.getSpec().getPorts());
      }
    });
  }

  private void labelledInsecure(String what, Map<String, String> labels, Map<String, String> annotations) {
    if (labels == null || !"true".equals(labels.get("ccserve.dev/insecure"))) {
      problems.add(what + ": expected label ccserve.dev/insecure=true; found " + labels);
    }
    String warning = annotations == null ? null : annotations.get("ccserve.dev/warning");
    if (warning == null || !warning.startsWith("INSECURE")) {
      problems.add(what + ": expected annotation ccserve.dev/warning starting with INSECURE; found " + warning);
    }
  }

  private void notInsecure() {
    for (HasMetadata o : objects) {
      Map<String, String> labels = o.getMetadata().getLabels();
      if (labels != null && labels.containsKey("ccserve.dev/insecure")) {
        problems.add(id(o) + ": a confidential overlay must not carry the INSECURE label");
      }
      if (o instanceof io.fabric8.kubernetes.api.model.ConfigMap cm && cm.getData() != null
          && cm.getData().values().stream().anyMatch(v -> v.contains("trust_simulated_insecure: true"))) {
        problems.add(id(o) + ": a confidential overlay must not trust the simulated TEE");
      }
    }
  }

  private void gramineSgx() {
    notInsecure();
    Deployment d = require(Deployment.class, SERVER);
    Container c = d == null ? null : container(d, "ccserve");
    if (c == null) {
      return;
    }
    if (c.getCommand().isEmpty() || !"gramine-sgx".equals(c.getCommand().get(0)) || !c.getArgs().isEmpty()) {
      problems.add(id(d) + ": expected command gramine-sgx ... and no args (they are in the signed"
          + " manifest); found command=" + c.getCommand() + " args=" + c.getArgs());
    }
    for (String r : List.of("sgx.intel.com/epc", "sgx.intel.com/enclave", "sgx.intel.com/provision")) {
      if (c.getResources().getLimits() == null || !c.getResources().getLimits().containsKey(r)) {
        problems.add(id(d) + ": expected resource limit " + r + "; found " + c.getResources().getLimits());
      }
    }
    Quantity epc = c.getResources().getLimits() == null ? null : c.getResources().getLimits().get("sgx.intel.com/epc");
    if (epc != null && Quantity.getAmountInBytes(epc).compareTo(GIB.multiply(BigDecimal.valueOf(8))) < 0) {
      problems.add(id(d) + ": expected sgx.intel.com/epc >= 8Gi (sgx.enclave_size of the manifest); found " + epc);
    }
    boolean aesmd = d.getSpec().getTemplate().getSpec().getVolumes().stream()
        .anyMatch(v -> v.getHostPath() != null && "/var/run/aesmd".equals(v.getHostPath().getPath()));
    if (!aesmd) {
      problems.add(id(d) + ": expected the aesmd socket directory /var/run/aesmd as a hostPath volume");
    }
  }

  private void confidentialVm(String runtimeClass) {
    notInsecure();
    find(Deployment.class, SERVER).ifPresent(d -> {
      String rc = d.getSpec().getTemplate().getSpec().getRuntimeClassName();
      if (!runtimeClass.equals(rc)) {
        problems.add(id(d) + ": expected runtimeClassName " + runtimeClass + "; found " + rc);
      }
    });
    attestationFlag("tsm");
  }

  private void attestationFlag(String expected) {
    find(Deployment.class, SERVER).map(d -> container(d, "ccserve")).ifPresent(c -> {
      List<String> flags = c.getArgs().stream().filter(a -> a.startsWith("--attestation")).toList();
      if (!flags.equals(List.of("--attestation=" + expected))) {
        problems.add("Deployment/ccserve: expected exactly --attestation=" + expected + "; found " + flags);
      }
      for (String f : List.of("--port=8500", "--rest_api_port=8501")) {
        if (!c.getArgs().contains(f)) {
          problems.add("Deployment/ccserve: expected arg " + f + "; found " + c.getArgs());
        }
      }
      for (String f : List.of("--model_name=", "--model_base_path=", "--keybroker=", "--keybroker_ca=",
          "--service_name=")) {
        if (c.getArgs().stream().noneMatch(a -> a.startsWith(f) && a.length() > f.length())) {
          problems.add("Deployment/ccserve: expected arg " + f + "<value>; found " + c.getArgs());
        }
      }
    });
  }

  private <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
    return objects.stream().filter(type::isInstance).map(type::cast)
        .filter(o -> name == null || name.equals(o.getMetadata().getName())).findFirst();
  }

  private <T extends HasMetadata> T require(Class<T> type, String name) {
    Optional<T> o = find(type, name);
    if (o.isEmpty()) {
      problems.add("expected " + type.getSimpleName() + "/" + name + " in the rendering; found none");
    }
    return o.orElse(null);
  }

  private Container container(Deployment d, String name) {
    Optional<Container> c = d.getSpec().getTemplate().getSpec().getContainers().stream()
        .filter(x -> name.equals(x.getName())).findFirst();
    if (c.isEmpty()) {
      problems.add(id(d) + ": expected a container named " + name);
    }
    return c.orElse(null);
  }

  private static ContainerPort port(Container c, String name) {
    return c.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst().orElse(null);
  }

  private static Volume volume(Deployment d, String name) {
    return d.getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> name.equals(v.getName())).findFirst().orElse(null);
  }

  private static String id(HasMetadata o) {
    return o.getKind() + "/" + o.getMetadata().getName();
  }
}
