package dev.ccserve.keybroker;

import dev.ccserve.crypto.tls.CertificateAuthority;
import dev.ccserve.crypto.tls.CertifiedKey;
import dev.ccserve.crypto.tls.KeyAlgorithm;
import dev.ccserve.crypto.tls.TlsContexts;
import dev.ccserve.crypto.tls.TlsMaterialException;
import dev.ccserve.keybroker.KeyBrokerException.Kind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The broker's CA directory: {@code ca_cert.pem} and {@code ca_key.pem} (the CA that signs the
 * broker's own TLS certificate and the serving certificates of attested servers) and {@code
 * server_cert.pem} / {@code server_key.pem} (the broker's TLS identity, whose SANs are the names
 * clients dial, e.g. {@code attestation.service.com}). Keys are written 0600 and refused at load
 * when group/other can access them. Immutable and thread-safe once loaded.
 */
public final class BrokerCa {
  public static final String CA_CERT = "ca_cert.pem";
  public static final String CA_KEY = "ca_key.pem";
  public static final String SERVER_CERT = "server_cert.pem";
  public static final String SERVER_KEY = "server_key.pem";
  /** Common name of CAs made by {@link #init}. */
  public static final String CA_NAME = "ccserve key broker CA";
  static final Duration CA_VALIDITY = Duration.ofDays(3650);
  static final Duration SERVER_VALIDITY = Duration.ofDays(825);

  private final CertificateAuthority ca;
  private final CertifiedKey server;

  private BrokerCa(CertificateAuthority ca, CertifiedKey server) {
    this.ca = ca;
    this.server = server;
  }

  /**
   * Creates a new CA and broker certificate in {@code dir} (created if needed; existing files are
   * never overwritten). The first of {@code names} becomes the server certificate's CN; all of them
   * are subjectAltNames (DNS names, or IP addresses for IP literals).
   */
  public static BrokerCa init(Path dir, List<String> names, Clock clock) throws KeyBrokerException {
    if (names == null || names.isEmpty()) {
      throw new KeyBrokerException(Kind.CONFIGURATION, "--names: expected at least one host name, found none");
    }
    for (String n : names) {
      if (!BrokerPolicyLoader.isServiceName(n)) {
        throw new KeyBrokerException(Kind.CONFIGURATION,
            "--names: expected DNS names or IP addresses, found \"" + n + "\"");
      }
    }
    for (String f : List.of(CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY)) {
      if (Files.exists(dir.resolve(f))) {
        throw new KeyBrokerException(Kind.CONFIGURATION,
            dir.resolve(f) + " already exists; refusing to overwrite broker CA material");
      }
    }
    try {
      CertificateAuthority ca = CertificateAuthority.create(CA_NAME, KeyAlgorithm.EC_P256, CA_VALIDITY, clock);
      CertifiedKey server = ca.issueServer(names.get(0), names.subList(1, names.size()).stream()
          .filter(n -> !n.equals(names.get(0))).toList(), KeyAlgorithm.EC_P256, SERVER_VALIDITY);
      Files.createDirectories(dir);
      write(dir.resolve(CA_KEY), ca.certifiedKey().privateKeyPem(), true);
      write(dir.resolve(SERVER_KEY), server.privateKeyPem(), true);
      write(dir.resolve(SERVER_CERT), server.certificatePem(), false);
      write(dir.resolve(CA_CERT), ca.certificatePem(), false);
      return new BrokerCa(ca, server);
    } catch (IOException | TlsMaterialException e) {
      throw new KeyBrokerException(Kind.CONFIGURATION,
          "cannot create broker CA in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Loads and checks the four files (key permissions, key/cert match, validity at the clock). */
  public static BrokerCa load(Path dir, Clock clock) throws KeyBrokerException {
    Objects.requireNonNull(clock, "clock");
    for (String f : List.of(CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY)) {
      if (!Files.isRegularFile(dir.resolve(f))) {
        throw new KeyBrokerException(Kind.CONFIGURATION, "--ca: expected " + dir.resolve(f)
            + ", found nothing (create the directory with: ccserve keybroker init --ca " + dir
            + " --names <host names>)");
      }
    }
    SecretStore.requireOwnerOnly(dir.resolve(CA_KEY), "CA key file");
    SecretStore.requireOwnerOnly(dir.resolve(SERVER_KEY), "server key file");
    try {
      CertificateAuthority ca = CertificateAuthority.fromPem(read(dir.resolve(CA_CERT)), read(dir.resolve(CA_KEY)), clock);
      CertifiedKey server = TlsContexts.certifiedKey(read(dir.resolve(SERVER_KEY)), read(dir.resolve(SERVER_CERT)),
          "broker server", clock);
      try {
        server.certificate().verify(ca.certificate().getPublicKey());
      } catch (java.security.GeneralSecurityException e) {
        throw new KeyBrokerException(Kind.CONFIGURATION,
            "--ca: expected " + SERVER_CERT + " to be issued by " + CA_CERT + ", found another issuer");
      }
      return new BrokerCa(ca, server);
    } catch (IOException | TlsMaterialException e) {
      throw new KeyBrokerException(Kind.CONFIGURATION, "--ca " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Wraps material already in memory (tests, embedding). */
  public static BrokerCa of(CertificateAuthority ca, CertifiedKey server) {
    return new BrokerCa(Objects.requireNonNull(ca, "ca"), Objects.requireNonNull(server, "server"));
  }

  public CertificateAuthority authority() {
    return ca;
  }

  /** The broker's own TLS key and certificate. */
  public CertifiedKey serverKey() {
    return server;
  }

  /** The CA certificate as PEM (what clients pin: Gramine's SECRET_PROVISION_CA_CHAIN_PATH). */
  public String caCertificatePem() {
    return ca.certificatePem();
  }

  private static String read(Path p) throws IOException {
    return Files.readString(p, StandardCharsets.US_ASCII);
  }

  private static void write(Path p, String text, boolean secret) throws IOException {
    if (Files.exists(p)) {
      throw new FileAlreadyExistsException(p.toString());
    }
    if (secret && p.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(p, text, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
    } else {
      Files.writeString(p, text, StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW);
    }
  }

  @Override
  public String toString() {
    return "BrokerCa[" + ca + ", server=" + server + "]";
  }
}
