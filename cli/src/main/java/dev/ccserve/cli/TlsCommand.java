package dev.ccserve.cli;

import dev.ccserve.crypto.tls.KeyAlgorithm;
import dev.ccserve.crypto.tls.TlsLayout;
import dev.ccserve.crypto.tls.TlsMaterialException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ccserve tls oneway|twoway}: the seed's {@code generate_*_ssl_config.sh} as one command,
 * writing the same layout and {@code ssl.cfg} via {@link TlsLayout}.
 */
@Command(
    name = "tls",
    description = "Generate TLS material in the seed's ssl_configure/ layout (with ssl.cfg).",
    mixinStandardHelpOptions = true,
    subcommands = {TlsCommand.OneWay.class, TlsCommand.TwoWay.class})
final class TlsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options shared by both modes. */
  static final class Common {
    @Option(names = "--out", defaultValue = "ssl_configure", paramLabel = "DIR",
        description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--rsa", paramLabel = "BITS",
        description = "RSA keys of 2048 or 4096 bits instead of EC P-256 (the seed used RSA).")
    Integer rsaBits;

    @Option(names = "--days", defaultValue = "365", paramLabel = "N",
        description = "Validity in days of the CA and the leaves (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--san", paramLabel = "NAME",
        description = "Extra server subjectAltName (DNS name or IP), repeatable, e.g. --san localhost --san 127.0.0.1.")
    List<String> extraSans = new ArrayList<>();

    @Option(names = "--force", description = "Replace an existing output directory.")
    boolean force;

    int write(CommandSpec spec, String server, String client) {
      if (days < 1) {
        throw CliException.usage("expected --days >= 1, found " + days);
      }
      KeyAlgorithm alg;
      try {
        alg = rsaBits == null ? KeyAlgorithm.EC_P256 : KeyAlgorithm.rsa(rsaBits);
      } catch (TlsMaterialException e) {
        throw CliException.usage(e.getMessage());
      }
      List<String> files;
      try {
        files = TlsLayout.write(out, new TlsLayout.Options(server, client, extraSans, alg, Duration.ofDays(days), force),
            Clock.systemUTC());
      } catch (TlsMaterialException e) {
        throw new CliException(e.getMessage());
      }
      PrintWriter o = spec.commandLine().getOut();
      o.println("wrote " + out + "/ (" + (client == null ? "one-way" : "two-way") + " TLS, "
          + (rsaBits == null ? "EC P-256" : "RSA " + rsaBits) + ", " + days + " days):");
      for (String f : files) {
        o.println("  " + out.resolve(f));
      }
      o.println("server: --ssl_config_file=" + out.resolve("ssl.cfg") + "  (contains the server private key)");
      String url = "-url " + server + ":8500";
      o.println(client == null
          ? "client: ccserve client " + url + " -crt " + out.resolve("server/cert.pem")
          : "client: ccserve client " + url + " -ca " + out.resolve("ca_cert.pem") + " -crt "
              + out.resolve("client/cert.pem") + " -key " + out.resolve("client/key.pem"));
      o.flush();
      return 0;
    }
  }

  @Command(name = "oneway", mixinStandardHelpOptions = true,
      description = "Server key + certificate (issued by a new CA) and ssl.cfg with client_verify: false.")
  static final class OneWay implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SERVER_NAME", description = "Server host name (CN and SAN), e.g. grpc.tf-serving.service.com.")
    String server;

    @Mixin Common common;

    @Override
    public Integer call() {
      return common.write(spec, server, null);
    }
  }

  @Command(name = "twoway", mixinStandardHelpOptions = true,
      description = "CA, server and client keys + certificates, and ssl.cfg with custom_ca and client_verify: true.")
  static final class TwoWay implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SERVER_NAME", description = "Server host name (CN and SAN).")
    String server;

    @Parameters(index = "1", paramLabel = "CLIENT_NAME", description = "Client name (CN), e.g. client.tf-serving.service.com.")
    String client;

    @Mixin Common common;

    @Override
    public Integer call() {
      return common.write(spec, server, client);
    }
  }
}
