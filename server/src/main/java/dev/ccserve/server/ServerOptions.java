package dev.ccserve.server;

import dev.ccserve.server.config.ModelConfig;
import dev.ccserve.server.runtime.TfSessionOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything {@code ccserve serve} was told, validated: ports (0 = any free port, negative = off
 * for REST), thread pools, limits, polling and the models. Defaults live in {@link #defaults}. No
 * secrets: TLS material is passed separately as {@link ServerTls}.
 */
public record ServerOptions(
    String bindAddress,
    int grpcPort,
    int restPort,
    int grpcMaxThreads,
    int restThreads,
    long restTimeoutMillis,
    int maxMessageBytes,
    Duration fileSystemPollInterval,
    Optional<Path> modelConfigFile,
    Duration modelConfigFilePollInterval,
    int maxLoadRetries,
    Duration loadRetryInterval,
    boolean allowLabelsForUnavailableModels,
    TfSessionOptions session,
    List<ModelConfig> models) {

  /** 2 GiB - 1, TF Serving's limit; batch-64 ResNet-50 requests are ~38.5 MB. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = Integer.MAX_VALUE;

  public ServerOptions {
    if (grpcPort < 0 || grpcPort > 65535) {
      throw new IllegalArgumentException("--port must be in 0..65535, found " + grpcPort);
    }
    if (restPort > 65535) {
      throw new IllegalArgumentException("--rest_api_port must be <= 65535, found " + restPort);
    }
    if (restPort > 0 && restPort == grpcPort) {
      throw new IllegalArgumentException("--rest_api_port must differ from --port (both "
          + grpcPort + ")");
    }
    if (grpcMaxThreads < 1 || restThreads < 1) {
      throw new IllegalArgumentException("thread counts must be >= 1, found grpc="
          + grpcMaxThreads + " rest=" + restThreads);
    }
    if (maxMessageBytes < 1024 * 1024) {
      throw new IllegalArgumentException("--max_message_bytes must be >= 1048576, found "
          + maxMessageBytes);
    }
    if (models.isEmpty() && modelConfigFile.isEmpty()) {
      throw new IllegalArgumentException(
          "no model to serve: give --model_base_path (and --model_name) or --model_config_file");
    }
    models = List.copyOf(models);
  }

  public static int defaultThreads() {
    return 4 * Runtime.getRuntime().availableProcessors();
  }
}
