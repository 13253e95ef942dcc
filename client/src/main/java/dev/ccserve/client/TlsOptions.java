package dev.ccserve.client;

import dev.ccserve.crypto.tls.ClientTls;
import dev.ccserve.crypto.tls.TlsContexts;
import dev.ccserve.crypto.tls.TlsMaterialException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/**
 * The seed client's TLS flags and their meaning (seed-workflow §1.3), as file paths:
 *
 * <ul>
 *   <li>no {@code -ca} and no {@code -crt}: plaintext ("insecure" channel);
 *   <li>{@code -ca}: trust roots = the CA file; {@code -crt} + {@code -key} = the client certificate
 *       and key (mutual TLS); {@code -ca} alone = one-way TLS against that CA;
 *   <li>{@code -crt} without {@code -ca}: the file is the trusted server certificate (or its CA),
 *       no client certificate; a {@code -key} is then ignored, as by the seed.
 * </ul>
 *
 * The host name is always verified: against {@code serverName} when set (which also becomes the
 * TLS SNI / authority), else against the dialled host.
 *
 * @param ca CA certificate file or null
 * @param crt certificate file or null (client cert with {@code ca}, else trusted server cert)
 * @param key client private key file or null
 * @param serverName name to verify instead of the dialled host, or null
 */
public record TlsOptions(Path ca, Path crt, Path key, String serverName) {
  public static final TlsOptions PLAINTEXT = new TlsOptions(null, null, null, null);

  /** True when the channel uses TLS ("secure" in the seed's output lines). */
  public boolean secure() {
    return ca != null || crt != null;
  }

  /** True when a {@code -key} was given that the seed semantics ignore (no {@code -ca}). */
  public boolean keyIgnored() {
    return ca == null && key != null;
  }

  /** Reads and validates the files; empty for plaintext. */
  public Optional<ClientTls> toClientTls(Clock clock) {
    if (!secure()) {
      if (key != null) {
        throw new TlsMaterialException("expected -ca or -crt together with -key, found only -key");
      }
      return Optional.empty();
    }
    if (ca != null) {
      if ((crt == null) != (key == null)) {
        throw new TlsMaterialException(
            "with -ca, expected both -crt (client certificate) and -key, or neither; found only "
                + (crt == null ? "-key" : "-crt"));
      }
      return Optional.of(TlsContexts.client(
          read(ca, "-ca"), key == null ? null : read(key, "-key"), crt == null ? null : read(crt, "-crt"),
          serverName, clock));
    }
    return Optional.of(TlsContexts.client(read(crt, "-crt"), null, null, serverName, clock));
  }

  private static String read(Path p, String flag) {
    try {
      return Files.readString(p, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new TlsMaterialException("cannot read " + flag + " file '" + p + "': " + e.getClass().getSimpleName());
    }
  }
}
