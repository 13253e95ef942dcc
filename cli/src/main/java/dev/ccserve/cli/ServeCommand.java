package dev.ccserve.cli;

import dev.ccserve.server.ModelServer;
import dev.ccserve.server.ServerOptions;
import dev.ccserve.crypto.key.WrapKey;
import dev.ccserve.crypto.tls.ServerTls;
import dev.ccserve.server.config.SslConfigs;
import dev.ccserve.server.loader.Loaders;
import java.time.Clock;
import dev.ccserve.server.ServingApi;
import dev.ccserve.server.batching.BatchingParameters;
import dev.ccserve.server.batching.BatchingPredictor;
import dev.ccserve.server.config.ModelConfig;
import dev.ccserve.server.core.ServingException;
import dev.ccserve.server.runtime.TfSessionOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code ccserve serve}: the model server, with tensorflow_model_server's flag names and defaults
 * ({@code --name=value} or {@code --name value}; booleans as {@code --flag} or {@code --flag=true}).
 * Runs until SIGTERM/SIGINT, then drains and exits 0.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Serve SavedModels over TF Serving's gRPC and REST APIs.",
        "Flags follow tensorflow_model_server; see docs/operations.md."})
public final class ServeCommand implements java.util.concurrent.Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--port", defaultValue = "8500", description = "gRPC port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--rest_api_port", defaultValue = "8501",
      description = "REST port; 0 = any free port, -1 = no REST (default: ${DEFAULT-VALUE}).")
  int restApiPort;

  @Option(names = "--bind_address", defaultValue = "0.0.0.0",
      description = "Address both ports bind to (default: ${DEFAULT-VALUE}).")
  String bindAddress;

  @Option(names = "--model_name", defaultValue = "default",
      description = "Model name; ignored with --model_config_file (default: ${DEFAULT-VALUE}).")
  String modelName;

  @Option(names = "--model_base_path",
      description = "Directory holding numeric version directories of the model.")
  Path modelBasePath;

  @Option(names = "--model_config_file", description = "ModelServerConfig text file.")
  String modelConfigFile;

  @Option(names = "--model_config_file_poll_wait_seconds", defaultValue = "0",
      description = "Re-read --model_config_file this often; 0 = read once (default: ${DEFAULT-VALUE}).")
  int modelConfigFilePollWaitSeconds;

  @Option(names = "--file_system_poll_wait_seconds", defaultValue = "1",
      description = "How often base paths are listed for new versions; 0 = once (default: ${DEFAULT-VALUE}).")
  int fileSystemPollWaitSeconds;

  @Option(names = "--tensorflow_session_parallelism", defaultValue = "0",
      description = "Threads for both TF pools when intra/inter are 0 (default: ${DEFAULT-VALUE} = auto).")
  int sessionParallelism;

  @Option(names = "--tensorflow_intra_op_parallelism", defaultValue = "0",
      description = "TF intra-op threads (default: ${DEFAULT-VALUE} = auto).")
  int intraOp;

  @Option(names = "--tensorflow_inter_op_parallelism", defaultValue = "0",
      description = "TF inter-op threads (default: ${DEFAULT-VALUE} = auto).")
  int interOp;

  @Option(names = "--rest_api_timeout_in_ms", defaultValue = "30000",
      description = "Run timeout of REST requests (default: ${DEFAULT-VALUE}).")
  long restTimeoutMs;

  @Option(names = "--grpc_max_threads", description = "gRPC worker threads (default: 4 x CPUs).")
  Integer grpcMaxThreads;

  @Option(names = "--rest_api_num_threads", description = "REST worker threads (default: 4 x CPUs).")
  Integer restThreads;

  @Option(names = "--max_message_bytes", defaultValue = "2147483647",
      description = "Largest gRPC message / REST body accepted, bytes (default: ${DEFAULT-VALUE}).")
  int maxMessageBytes;

  @Option(names = "--saved_model_tags", defaultValue = "serve",
      description = "Comma-separated SavedModel tags (default: ${DEFAULT-VALUE}).")
  String savedModelTags;

  @Option(names = "--max_num_load_retries", defaultValue = "5",
      description = "Retries of a failed version load (default: ${DEFAULT-VALUE}).")
  int maxLoadRetries;

  @Option(names = "--load_retry_interval_micros", defaultValue = "60000000",
      description = "Delay between load retries (default: ${DEFAULT-VALUE}).")
  long loadRetryIntervalMicros;

  @Option(names = "--allow_version_labels_for_unavailable_models", arity = "0..1",
      fallbackValue = "true", defaultValue = "false",
      description = "Allow labels on versions that are not AVAILABLE (default: ${DEFAULT-VALUE}).")
  boolean allowLabelsForUnavailable;

  @Option(names = "--enable_model_warmup", arity = "0..1", fallbackValue = "true",
      defaultValue = "true", description = "Run each model once before it is AVAILABLE (default: ${DEFAULT-VALUE}).")
  boolean enableWarmup;

  @Option(names = "--enable_serialization_as_tensor_content", arity = "0..1",
      fallbackValue = "true", defaultValue = "false",
      description = "Return outputs as tensor_content instead of typed fields (default: ${DEFAULT-VALUE}).")
  boolean asTensorContent;

  @Option(names = "--ssl_config_file",
      description = "SSLConfig text file: TLS (and mTLS) for the gRPC AND REST ports.")
  String sslConfigFile;

  @Option(names = "--mixed_precision", paramLabel = "bfloat16",
      description = "Opt-in bfloat16 math on CPUs with AMX/AVX512-BF16 (oneDNN implicit bf16; the "
          + "API stays float32; outputs change slightly). Needs TF_SET_ONEDNN_FPMATH_MODE=BF16 in "
          + "the environment before start, which the ccserve launcher sets for this flag.")
  String mixedPrecision;

  @Option(names = "--model_key_file",
      description = "16-byte wrap key for models encrypted with 'ccserve model encrypt' (Gramine "
          + "protected files). In confidential mode the key broker supplies it instead.")
  Path modelKeyFile;

  // --- batching (owned by the perf work; see docs/operations.md "Batching") ---
  @Option(names = "--enable_batching", arity = "0..1", fallbackValue = "true",
      defaultValue = "false",
      description = "Merge concurrent Predict requests into batches (default: ${DEFAULT-VALUE}).")
  boolean enableBatching;

  @Option(names = "--batching_parameters_file",
      description = "BatchingParameters text file for --enable_batching (default: TF's defaults).")
  Path batchingParametersFile;
  // --- end batching ---

  @Option(names = {"--flush_filesystem_caches", "--enable_grpc_healthcheck_service",
      "--enable_profiler"}, arity = "0..1", fallbackValue = "true", hidden = true,
      description = "Accepted for compatibility; no effect (health is always on).")
  List<Boolean> compatibilityNoOps;

  @Mixin ConfidentialOptions confidential;

  /**
   * Loads TensorFlow's native library (about a second) and, for encrypted models, lets the JIT
   * compile the protected-file read path on a throw-away file of encrypted zeros (a cold JVM
   * decrypts the first ~100 MB about twice as slowly) on another thread, while the ports open and, in confidential mode, the TEE attests and
   * the broker answers, which need neither. The JVM's class initialisation makes a concurrent
   * first use of TensorFlow wait rather than load it twice.
   */
  private static void warmUpInBackground(boolean encryptedModels) {
    Thread t = new Thread(() -> {
      try {
        org.tensorflow.TensorFlow.version();
        if (encryptedModels) {
          // The encrypted loader parses saved_model.pb itself: load those proto classes now.
          org.tensorflow.proto.SavedModel.parseFrom(org.tensorflow.proto.SavedModel.newBuilder()
              .addMetaGraphs(org.tensorflow.proto.MetaGraphDef.getDefaultInstance()).build()
              .toByteArray());
          dev.ccserve.crypto.pf.GraminePfReader.warmUpForLoading();
        }
      } catch (Throwable e) {
        // Only a head start: the model load reports any real problem.
      }
    }, "ccserve-warm-up");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public Integer call() throws Exception {
    ServerOptions options = options();
    boolean hasSslConfig = sslConfigFile != null && !sslConfigFile.isBlank();
    confidential.validate(hasSslConfig, modelKeyFile != null);
    Optional<ServerTls> tls;
    Optional<BatchingParameters> batching = batchingParameters();
    java.util.function.Function<String, WrapKey> keys;
    ShutdownSignal signal = ShutdownSignal.install();
    warmUpInBackground(confidential.enabled() || modelKeyFile != null);
    if (confidential.enabled()) {
      ConfidentialOptions.Provisioned p = confidential.provision(modelNames(options),
          Clock.systemUTC());
      tls = Optional.of(p.tls());
      keys = p.keys()::get;
    } else {
      try {
        tls = hasSslConfig
            ? Optional.of(SslConfigs.readFile(Path.of(sslConfigFile), Clock.systemUTC()))
            : Optional.empty();
        WrapKey key = modelKeyFile == null ? null : readKey(modelKeyFile);
        keys = name -> key;
      } catch (ServingException e) {
        throw CliException.usage(e.getMessage());
      }
    }
    java.util.concurrent.atomic.AtomicReference<BatchingPredictor> batcher =
        new java.util.concurrent.atomic.AtomicReference<>();
    try (AutoCloseable closeBatcherLast = () -> {
          if (batcher.get() != null) {
            batcher.get().close();
          }
        };
        ModelServer server = new ModelServer(options,
        Loaders.create(options.session(), keys, confidential.enabled()), tls,
        m -> batching.<ServingApi.Predictor>map(
            params -> batcher.updateAndGet(old -> new BatchingPredictor(params, m)))
            .orElseGet(ServingApi::direct))) {
      server.openPorts();
      server.loadModels();
      signal.await();
    } catch (ServingException e) {
      throw new CliException(e.getMessage());
    } finally {
      signal.closed();
    }
    return 0;
  }

  /** The batching configuration, empty without --enable_batching; bad files are usage errors. */
  Optional<BatchingParameters> batchingParameters() {
    if (!enableBatching) {
      if (batchingParametersFile != null) {
        org.slf4j.LoggerFactory.getLogger(ServeCommand.class).warn(
            "--batching_parameters_file {} is ignored without --enable_batching",
            batchingParametersFile);
      }
      return Optional.empty();
    }
    try {
      return Optional.of(batchingParametersFile == null ? BatchingParameters.defaults()
          : BatchingParameters.readFile(batchingParametersFile));
    } catch (ServingException e) {
      throw CliException.usage(e.getMessage());
    }
  }

  static List<String> modelNames(ServerOptions options) {
    if (options.modelConfigFile().isEmpty()) {
      return options.models().stream().map(ModelConfig::name).toList();
    }
    try {
      return dev.ccserve.server.config.ModelServerConfigs.readFile(options.modelConfigFile().get())
          .stream().map(ModelConfig::name).toList();
    } catch (ServingException e) {
      throw CliException.usage(e.getMessage());
    }
  }

  static WrapKey readKey(Path file) {
    try {
      var wide = WrapKey.excessPermissions(file);
      if (!wide.isEmpty()) {
        org.slf4j.LoggerFactory.getLogger(ServeCommand.class).warn(
            "key file {} is readable by others ({}); chmod 600 it", file, wide);
      }
      return WrapKey.readFrom(file);
    } catch (java.io.IOException | RuntimeException e) {
      throw CliException.usage("--model_key_file " + file + ": " + e.getMessage());
    }
  }

  void checkMixedPrecision() {
    if (mixedPrecision == null) {
      return;
    }
    if (!"bfloat16".equals(mixedPrecision)) {
      throw CliException.usage("--mixed_precision: expected bfloat16, found " + mixedPrecision);
    }
    if (!"BF16".equals(System.getenv("TF_SET_ONEDNN_FPMATH_MODE"))) {
      throw CliException.usage("--mixed_precision=bfloat16 needs TF_SET_ONEDNN_FPMATH_MODE=BF16 "
          + "in the environment before the JVM starts (the ./ccserve launcher sets it); found "
          + System.getenv("TF_SET_ONEDNN_FPMATH_MODE"));
    }
  }

  ServerOptions options() {
    checkMixedPrecision();
    List<ModelConfig> models = List.of();
    Optional<Path> configFile = Optional.ofNullable(modelConfigFile)
        .filter(s -> !s.isBlank()).map(Path::of);
    if (configFile.isPresent()) {
      if (!Files.isRegularFile(configFile.get())) {
        throw CliException.usage("--model_config_file " + configFile.get() + " does not exist");
      }
    } else if (modelBasePath != null) {
      models = List.of(ModelConfig.of(modelName, modelBasePath.toAbsolutePath()));
    } else {
      throw CliException.usage("give --model_base_path (with --model_name) or --model_config_file");
    }
    if (intraOp > 0 && interOp > 0 && sessionParallelism > 0) {
      throw CliException.usage("set --tensorflow_session_parallelism or the intra/inter flags, "
          + "not all three");
    }
    int intra = intraOp > 0 ? intraOp : sessionParallelism;
    int inter = interOp > 0 ? interOp : sessionParallelism;
    List<String> tags = Arrays.stream(savedModelTags.split(",")).map(String::trim)
        .filter(s -> !s.isEmpty()).toList();
    try {
      return new ServerOptions(bindAddress, port, restApiPort,
          grpcMaxThreads != null ? grpcMaxThreads : ServerOptions.defaultThreads(),
          restThreads != null ? restThreads : ServerOptions.defaultThreads(), restTimeoutMs,
          maxMessageBytes, Duration.ofSeconds(fileSystemPollWaitSeconds), configFile,
          Duration.ofSeconds(modelConfigFilePollWaitSeconds), maxLoadRetries,
          Duration.ofNanos(loadRetryIntervalMicros * 1000), allowLabelsForUnavailable,
          new TfSessionOptions(intra, inter, tags, asTensorContent, enableWarmup), models);
    } catch (IllegalArgumentException e) {
      throw CliException.usage(e.getMessage());
    }
  }

}
