package dev.ccserve.it.deploy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Offline schema check of rendered Kubernetes manifests with the fabric8 8.0.0 model classes.
 *
 * <p>Each YAML document is bound to the model class of its {@code apiVersion}/{@code kind} (an
 * unsupported pair is a problem, not a skip). Wrong types fail the binding. fabric8 models accept
 * unknown fields silently into {@code additionalProperties} (so {@code FAIL_ON_UNKNOWN_PROPERTIES}
 * catches nothing), therefore the bound object graph is walked and every non-empty
 * {@code getAdditionalProperties()} is reported with its path: this is what catches typos such as
 * {@code protocl:}. Duplicate keys are rejected by the parser. Required fields that the models do
 * not enforce are checked for the kinds ccserve ships. Stateless and thread-safe.
 */
final class KubernetesManifestValidator {

  /** A parsed document: its model object and where it came from (document index, kind/name). */
  record Manifest(int index, HasMetadata object) {
    String id() {
      return object.getKind() + "/" + (object.getMetadata() == null ? "?" : object.getMetadata().getName());
    }
  }

  private static final Map<String, Class<? extends HasMetadata>> MODELS = Map.of(
      "v1/Namespace", Namespace.class,
      "v1/Service", Service.class,
      "v1/ConfigMap", ConfigMap.class,
      "v1/Secret", Secret.class,
      "v1/PersistentVolumeClaim", PersistentVolumeClaim.class,
      "apps/v1/Deployment", Deployment.class,
      "autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class,
      "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
      "networking.k8s.io/v1/Ingress", Ingress.class);

  private static final ObjectMapper YAML = YAMLMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .build();
  private static final ObjectMapper BINDER = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES); // reported by the walk instead

  private KubernetesManifestValidator() {}

  /** Parses and schema-checks a multi-document YAML stream; problems are appended to {@code problems}. */
  static List<Manifest> parse(String yaml, List<String> problems) {
    List<Manifest> out = new ArrayList<>();
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
      while (it.hasNextValue()) {
        JsonNode doc = it.nextValue();
        if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
          docs.add(doc);
        }
      }
    } catch (Exception e) {
      problems.add("YAML: expected well-formed YAML documents; " + e.getMessage());
      return out;
    }
    for (int i = 0; i < docs.size(); i++) {
      JsonNode doc = docs.get(i);
      String key = doc.path("apiVersion").asText("?") + "/" + doc.path("kind").asText("?");
      String where = "document " + i + " (" + key + " " + doc.path("metadata").path("name").asText("?") + ")";
      Class<? extends HasMetadata> type = MODELS.get(key);
      if (type == null) {
        problems.add(where + ": expected apiVersion/kind in " + MODELS.keySet() + "; found " + key);
        continue;
      }
      HasMetadata object;
      try {
        object = BINDER.treeToValue(doc, type);
      } catch (Exception e) {
        problems.add(where + ": does not bind to " + type.getSimpleName() + ": " + e.getMessage());
        continue;
      }
      for (String path : unknownFields(object)) {
        problems.add(where + ": unknown field " + path);
      }
      requiredFields(where, object, problems);
      out.add(new Manifest(i, object));
    }
    return out;
  }

  /** Paths ({@code spec.ports[0].protocl}) of every field the model did not recognise. */
  static List<String> unknownFields(Object model) {
    List<String> out = new ArrayList<>();
    walk(model, "", out, Collections.newSetFromMap(new IdentityHashMap<>()));
    return out;
  }

  private static void walk(Object node, String path, List<String> out, Set<Object> seen) {
    if (node == null) {
      return;
    }
    if (node instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        walk(list.get(i), path + "[" + i + "]", out, seen);
      }
      return;
    }
    if (node instanceof Map<?, ?> map) {
      map.forEach((k, v) -> walk(v, path + "." + k, out, seen));
      return;
    }
    if (!node.getClass().getName().startsWith("io.fabric8.") || !seen.add(node)) {
      return;
    }
    for (Method m : node.getClass().getMethods()) {
      String name = m.getName();
      if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers())
          || !name.startsWith("get") || name.equals("getClass")) {
        continue;
      }
      Object value;
      try {
        value = m.invoke(node);
      } catch (IllegalAccessException | InvocationTargetException e) {
        continue; // derived getters (e.g. Quantity's numeric views) that do not apply
      }
      if (name.equals("getAdditionalProperties")) {
        if (value instanceof Map<?, ?> extra) {
          for (Object k : extra.keySet()) {
            out.add((path.isEmpty() ? "" : path.substring(1) + ".") + k);
          }
        }
        continue;
      }
      String property = Character.toLowerCase(name.charAt(3)) + name.substring(4);
      walk(value, path + "." + property, out, seen);
    }
  }

  private static void requiredFields(String where, HasMetadata o, List<String> problems) {
    if (o.getMetadata() == null || isBlank(o.getMetadata().getName())) {
      problems.add(where + ": metadata.name is required");
    }
    if (!(o instanceof Namespace) && (o.getMetadata() == null || isBlank(o.getMetadata().getNamespace()))) {
      problems.add(where + ": metadata.namespace must be set by the kustomization");
    }
    if (o instanceof Deployment d) {
      if (d.getSpec() == null || d.getSpec().getSelector() == null || d.getSpec().getTemplate() == null
          || d.getSpec().getTemplate().getSpec() == null
          || d.getSpec().getTemplate().getSpec().getContainers().isEmpty()) {
        problems.add(where + ": spec.selector and spec.template.spec.containers are required");
        return;
      }
      d.getSpec().getTemplate().getSpec().getContainers().forEach(c -> {
        if (isBlank(c.getName()) || isBlank(c.getImage())) {
          problems.add(where + ": every container needs name and image");
        }
        c.getPorts().forEach(p -> {
          if (p.getContainerPort() == null) {
            problems.add(where + ": container " + c.getName() + " has a port without containerPort");
          }
        });
      });
    } else if (o instanceof Service s) {
      if (s.getSpec() == null || s.getSpec().getPorts().isEmpty()) {
        problems.add(where + ": spec.ports is required");
      } else {
        s.getSpec().getPorts().forEach(p -> {
          if (p.getPort() == null) {
            problems.add(where + ": every service port needs port");
          }
        });
      }
    } else if (o instanceof HorizontalPodAutoscaler h) {
      if (h.getSpec() == null || h.getSpec().getScaleTargetRef() == null || h.getSpec().getMaxReplicas() == null) {
        problems.add(where + ": spec.scaleTargetRef and spec.maxReplicas are required");
      }
    } else if (o instanceof PodDisruptionBudget p) {
      if (p.getSpec() == null || p.getSpec().getSelector() == null) {
        problems.add(where + ": spec.selector is required");
      }
    } else if (o instanceof Ingress i) {
      if (i.getSpec() == null || i.getSpec().getRules().isEmpty()) {
        problems.add(where + ": spec.rules is required");
      }
    } else if (o instanceof PersistentVolumeClaim c) {
      if (c.getSpec() == null || c.getSpec().getAccessModes().isEmpty()
          || c.getSpec().getResources() == null || c.getSpec().getResources().getRequests() == null
          || !c.getSpec().getResources().getRequests().containsKey("storage")) {
        problems.add(where + ": spec.accessModes and spec.resources.requests.storage are required");
      }
    }
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }
}
