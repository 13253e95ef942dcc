package dev.ccserve.server.config;

import com.google.protobuf.TextFormat;
import dev.ccserve.crypto.tls.ServerTls;
import dev.ccserve.crypto.tls.TlsContexts;
import dev.ccserve.crypto.tls.TlsMaterialException;
import dev.ccserve.server.core.ServingException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import tensorflow.serving.SslConfig.SSLConfig;

/**
 * Reads TF Serving's {@code --ssl_config_file} (SSLConfig text format with inline PEM, as the seed
 * scripts write it) into validated server TLS material for both ports. Errors name the file and
 * what is wrong, never key bytes.
 */
public final class SslConfigs {
  private SslConfigs() {}

  public static ServerTls readFile(Path file, Clock clock) throws ServingException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw ServingException.invalidArgument("cannot read --ssl_config_file " + file + ": " + e);
    }
    SSLConfig.Builder b = SSLConfig.newBuilder();
    try {
      TextFormat.getParser().merge(text, b);
    } catch (TextFormat.ParseException e) {
      throw ServingException.invalidArgument("cannot parse --ssl_config_file " + file
          + " as SSLConfig text format: " + e.getMessage());
    }
    SSLConfig c = b.build();
    if (c.getServerKey().isBlank() || c.getServerCert().isBlank()) {
      throw ServingException.invalidArgument("--ssl_config_file " + file
          + " must set server_key and server_cert (PEM text)");
    }
    try {
      return TlsContexts.fromSslConfig(c.getServerKey(), c.getServerCert(), c.getCustomCa(),
          c.getClientVerify(), clock);
    } catch (TlsMaterialException e) {
      throw ServingException.invalidArgument("--ssl_config_file " + file + ": " + e.getMessage());
    }
  }
}
