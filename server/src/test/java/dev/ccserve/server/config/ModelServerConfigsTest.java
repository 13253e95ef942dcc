package dev.ccserve.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.server.core.ServingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TF Serving's ModelServerConfig text format, converted to validated records. */
class ModelServerConfigsTest {
  @TempDir Path tmp;

  @Test
  void readFile_parsesPoliciesLabelsAndPaths() throws Exception {
    Path f = tmp.resolve("models.config");
    Files.writeString(f, """
        model_config_list {
          config {
            name: 'resnet'
            base_path: '/models/resnet'
            model_platform: 'tensorflow'
            model_version_policy { specific { versions: 1 versions: 2 } }
            version_labels { key: 'stable' value: 1 }
            version_labels { key: 'canary' value: 2 }
          }
          config { name: 'all' base_path: 'rel/all' model_version_policy { all {} } }
          config { name: 'l3' base_path: '/m/l3' model_version_policy { latest { num_versions: 3 } } }
          config { name: 'plain' base_path: '/m/plain' }
        }
        """);
    List<ModelConfig> c = ModelServerConfigs.readFile(f);
    assertThat(c).extracting(ModelConfig::name).containsExactly("resnet", "all", "l3", "plain");
    assertThat(c.get(0).versionPolicy()).isEqualTo(new VersionPolicy.Specific(Set.of(1L, 2L)));
    assertThat(c.get(0).versionLabels()).isEqualTo(Map.of("stable", 1L, "canary", 2L));
    assertThat(c.get(0).basePath()).isEqualTo(Path.of("/models/resnet"));
    assertThat(c.get(1).versionPolicy()).isInstanceOf(VersionPolicy.All.class);
    assertThat(c.get(1).basePath()).isEqualTo(Path.of("rel/all").toAbsolutePath());
    assertThat(c.get(2).versionPolicy()).isEqualTo(new VersionPolicy.Latest(3));
    assertThat(c.get(3).versionPolicy()).isEqualTo(new VersionPolicy.Latest(1));
  }

  @Test
  void badConfigs_areInvalidArgumentsNamingTheProblem() {
    assertBad("model_config_list { config { name: 'a' base_path: '/x' bogus: 1 } }", "bogus");
    assertBad("model_config_list { config { base_path: '/x' } }", "no name");
    assertBad("model_config_list { config { name: 'a' } }", "has no base_path");
    assertBad("model_config_list { config { name: 'a' base_path: '/x' model_platform: 'onnx' } }",
        "ccserve serves only \"tensorflow\"");
    assertBad("custom_model_config { }", "Only ModelConfigList is currently supported");
    assertBad("model_config_list { config { name: 'a' base_path: '/x' "
        + "version_labels { key: 'bad-label' value: 1 } } }", "[a-zA-Z0-9_]+");
    assertBad("model_config_list { config { name: 'a' base_path: '/x' "
        + "model_version_policy { specific { } } } }", "no versions");
  }

  void assertBad(String text, String messagePart) {
    assertThatThrownBy(() -> ModelServerConfigs.toModelConfigs(
        ModelServerConfigs.parseText(text, "test.config")))
        .isInstanceOf(ServingException.class).hasMessageContaining(messagePart);
  }

  @Test
  void versionPolicies_selectFromDisk() {
    var disk = new java.util.TreeSet<>(List.of(1L, 3L, 7L, 9L));
    assertThat(new VersionPolicy.Latest(2).select(disk)).containsExactly(7L, 9L);
    assertThat(new VersionPolicy.All().select(disk)).containsExactly(1L, 3L, 7L, 9L);
    assertThat(new VersionPolicy.Specific(Set.of(3L, 4L)).select(disk)).containsExactly(3L);
  }
}
