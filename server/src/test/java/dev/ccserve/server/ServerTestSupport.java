package dev.ccserve.server;

import dev.ccserve.server.config.ModelConfig;
import dev.ccserve.server.loader.SavedModelLoader;
import dev.ccserve.server.runtime.TfSavedModel;
import dev.ccserve.server.runtime.TfSessionOptions;
import dev.ccserve.server.source.FileSystemModelSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Builds real servers on free loopback ports for tests. */
public final class ServerTestSupport {
  private ServerTestSupport() {}

  public static FileSystemModelSource.LoaderFactory<TfSavedModel> plainLoaders() {
    TfSessionOptions so = new TfSessionOptions(1, 1, List.of("serve"), false, true);
    return (m, id, dir) -> new SavedModelLoader(dir, so);
  }

  public static ServerOptions options(List<ModelConfig> models, Duration poll) {
    return new ServerOptions("127.0.0.1", 0, 0, 4, 4, 30_000, ServerOptions.DEFAULT_MAX_MESSAGE_BYTES,
        poll, Optional.empty(), Duration.ZERO, 0, Duration.ofSeconds(1), false,
        new TfSessionOptions(1, 1, List.of("serve"), false, true), models);
  }

  public static ModelServer start(List<ModelConfig> models, Duration poll) throws Exception {
    ModelServer s = new ModelServer(options(models, poll), plainLoaders(), Optional.empty(),
        m -> ServingApi.direct());
    s.openPorts();
    s.loadModels();
    return s;
  }

  public static ModelConfig model(String name, Path base) {
    return ModelConfig.of(name, base);
  }
}
