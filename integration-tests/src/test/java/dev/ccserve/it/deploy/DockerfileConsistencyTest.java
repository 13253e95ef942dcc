package dev.ccserve.it.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Dockerfile cannot be built here (no Docker engine), so this checks what can be checked
 * offline: every build-context source it COPYs exists in the repository, and the paths, user and
 * ports it creates are the ones the Kubernetes manifests rely on.
 */
class DockerfileConsistencyTest {

  private static final Pattern COPY = Pattern.compile("^COPY\\s+(?!--from)(.+?)\\s+(\\S+)\\s*$", Pattern.MULTILINE);

  private static String dockerfile() throws Exception {
    return Files.readString(DeployFiles.deploy("docker/Dockerfile"));
  }

  private static JsonNode serverContainer() throws Exception {
    JsonNode d = new YAMLMapper().readTree(Files.readString(DeployFiles.deploy("kubernetes/base/deployment.yaml")));
    return d.at("/spec/template/spec/containers/0");
  }

  @Test
  void copySources_allExistInRepository() throws Exception {
    List<String> missing = new ArrayList<>();
    int copies = 0;
    for (String file : List.of("docker/Dockerfile", "gramine/Dockerfile")) {
      Matcher m = COPY.matcher(Files.readString(DeployFiles.deploy(file)));
      while (m.find()) {
        for (String src : m.group(1).trim().split("\\s+")) {
          copies++;
          Path p = DeployFiles.repoRoot().resolve(src);
          if (!Files.exists(p)) {
            missing.add(file + ": COPY " + src);
          }
        }
      }
    }
    assertThat(copies).isGreaterThan(10);
    assertThat(missing).as("COPY sources missing from the build context").isEmpty();
  }

  @Test
  void image_runsAsTheUidTheManifestsExpect() throws Exception {
    String df = dockerfile();
    JsonNode pod = new YAMLMapper().readTree(Files.readString(DeployFiles.deploy("kubernetes/base/deployment.yaml")))
        .at("/spec/template/spec/securityContext");
    String uid = pod.path("runAsUser").asText();
    assertThat(uid).isNotEqualTo("0").isNotEmpty();
    assertThat(df).containsPattern("(?m)^USER " + uid + ":" + pod.path("runAsGroup").asText() + "$");
    assertThat(df).contains("--uid " + uid);
  }

  @Test
  void image_exposesTheContainerPortsAndEntrypoint() throws Exception {
    String df = dockerfile();
    assertThat(df).containsPattern("(?m)^EXPOSE 8500 8501$");
    assertThat(df).contains("ENTRYPOINT [\"/opt/ccserve/bin/ccserve\", \"serve\"]");
    List<Integer> ports = new ArrayList<>();
    serverContainer().path("ports").forEach(p -> ports.add(p.path("containerPort").asInt()));
    assertThat(ports).containsExactly(8500, 8501);
    JsonNode broker = new YAMLMapper().readTree(Files.readString(
        DeployFiles.deploy("kubernetes/components/keybroker/deployment.yaml"))).at("/spec/template/spec/containers/0");
    assertThat(broker.path("command").get(0).asText()).isEqualTo("/opt/ccserve/bin/ccserve");
    assertThat(df).contains("COPY deploy/docker/ccserve-launcher /opt/ccserve/bin/ccserve");
  }

  @Test
  void image_probeAndCacheAndTrustPathsMatchManifests() throws Exception {
    String df = dockerfile();
    JsonNode c = serverContainer();
    String probe = c.at("/readinessProbe/exec/command/0").asText();
    assertThat(df).contains("COPY deploy/docker/ccserve-grpc-health " + probe);

    String opts = "";
    for (JsonNode e : c.path("env")) {
      if (e.path("name").asText().equals("JAVA_TOOL_OPTIONS")) {
        opts = e.path("value").asText();
      }
    }
    Matcher m = Pattern.compile("-Dorg\\.bytedeco\\.javacpp\\.cachedir=(\\S+)").matcher(opts);
    assertThat(m.find()).as("cachedir in the Deployment's JAVA_TOOL_OPTIONS").isTrue();
    assertThat(df).contains("VOLUME [\"" + m.group(1) + "\"]")
        .contains("-Dorg.bytedeco.javacpp.cachedir=" + m.group(1));

    String ca = null;
    for (JsonNode a : c.path("args")) {
      if (a.asText().startsWith("--keybroker_ca=")) {
        ca = a.asText().substring("--keybroker_ca=".length());
      }
    }
    assertThat(ca).isNotNull();
    Path caDir = Path.of(ca).getParent();
    assertThat(df).contains("COPY deploy/docker/trust/ " + caDir + "/");
  }
}
