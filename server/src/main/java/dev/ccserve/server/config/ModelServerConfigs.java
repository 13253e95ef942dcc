package dev.ccserve.server.config;

import com.google.protobuf.TextFormat;
import dev.ccserve.server.core.ServingException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tensorflow.serving.FileSystemStoragePathSource.FileSystemStoragePathSourceConfig.ServableVersionPolicy;
import tensorflow.serving.ModelServerConfigOuterClass.ModelServerConfig;

/**
 * Reads TF Serving's {@code ModelServerConfig} (protobuf text format, {@code --model_config_file})
 * and converts it at once into validated {@link ModelConfig} records. Relative base paths are
 * resolved against the working directory.
 */
public final class ModelServerConfigs {
  private ModelServerConfigs() {}

  public static ModelServerConfig parseText(String text, String origin) throws ServingException {
    ModelServerConfig.Builder b = ModelServerConfig.newBuilder();
    try {
      TextFormat.getParser().merge(text, b);
    } catch (TextFormat.ParseException e) {
      throw ServingException.invalidArgument(
          "cannot parse " + origin + " as ModelServerConfig text format: " + e.getMessage());
    }
    return b.build();
  }

  public static List<ModelConfig> readFile(Path file) throws ServingException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw ServingException.invalidArgument("cannot read --model_config_file " + file + ": " + e);
    }
    return toModelConfigs(parseText(text, file.toString()));
  }

  public static List<ModelConfig> toModelConfigs(ModelServerConfig c) throws ServingException {
    if (c.getConfigCase() != ModelServerConfig.ConfigCase.MODEL_CONFIG_LIST) {
      throw ServingException.invalidArgument("ServerModelConfig type not supported by "
          + "HandleReloadConfigRequest. Only ModelConfigList is currently supported");
    }
    List<ModelConfig> out = new ArrayList<>();
    for (var m : c.getModelConfigList().getConfigList()) {
      if (m.getName().isEmpty()) {
        throw ServingException.invalidArgument("a model config has no name");
      }
      if (m.getBasePath().isEmpty()) {
        throw ServingException.invalidArgument("model " + m.getName() + " has no base_path");
      }
      if (!m.getModelPlatform().isEmpty() && !"tensorflow".equals(m.getModelPlatform())) {
        throw ServingException.invalidArgument("model " + m.getName() + " has model_platform \""
            + m.getModelPlatform() + "\"; ccserve serves only \"tensorflow\"");
      }
      if (m.getModelTypeValue() != 0 && !m.getModelPlatform().isEmpty()) {
        throw ServingException.invalidArgument("model " + m.getName()
            + " sets both model_type and model_platform; use only model_platform");
      }
      Map<String, Long> labels = new HashMap<>(m.getVersionLabelsMap());
      try {
        out.add(new ModelConfig(m.getName(), Path.of(m.getBasePath()).toAbsolutePath(),
            policy(m.getName(), m.getModelVersionPolicy()), labels));
      } catch (IllegalArgumentException e) {
        throw ServingException.invalidArgument(e.getMessage());
      }
    }
    return out;
  }

  static VersionPolicy policy(String model, ServableVersionPolicy p) throws ServingException {
    return switch (p.getPolicyChoiceCase()) {
      case ALL -> new VersionPolicy.All();
      case SPECIFIC -> {
        if (p.getSpecific().getVersionsCount() == 0) {
          throw ServingException.invalidArgument(
              "model " + model + " has a specific version policy with no versions");
        }
        yield VersionPolicy.specific(p.getSpecific().getVersionsList());
      }
      case LATEST -> new VersionPolicy.Latest(
          p.getLatest().getNumVersions() == 0 ? 1 : p.getLatest().getNumVersions());
      default -> VersionPolicy.latest();
    };
  }
}
