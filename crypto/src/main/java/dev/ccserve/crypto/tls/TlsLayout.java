package dev.ccserve.crypto.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Writes the seed scripts' TLS directory ({@code generate_oneway_ssl_config.sh} /
 * {@code generate_twoway_ssl_config.sh}): {@code ca_cert.pem}, {@code ca_key.pem},
 * {@code server/{key,cert}.pem}, for two-way also {@code server/cert.csr} and
 * {@code client/{key,cert.csr,cert}.pem}, and {@code ssl.cfg} (TF Serving's SSLConfig text with
 * the PEMs inline in the seed's one-line form).
 *
 * <p>Unlike the seed's one-way script, which made a self-signed CA:TRUE certificate and used it as
 * the server leaf, one-way here also makes a CA so that the server certificate is a proper leaf
 * (CA:FALSE, EKU serverAuth, SANs). A client may trust either {@code ca_cert.pem} or, as seed
 * clients do with {@code -crt}, {@code server/cert.pem} itself.
 *
 * <p>Private keys and {@code ssl.cfg} (which holds the server key) are written 0600. The layout is
 * built completely in a sibling temporary directory and then renamed into place; an existing
 * directory is refused unless {@code force} is set, in which case it is moved aside, replaced and
 * deleted. Not thread-safe for concurrent writers of the same directory.
 */
public final class TlsLayout {
  /** CN of the generated CA. */
  public static final String CA_NAME = "ccserve TLS CA";

  /**
   * What to generate. {@code clientName} null means one-way TLS. {@code extraServerNames} are added
   * to the server certificate's SANs after {@code serverName} (e.g. {@code localhost}).
   */
  public record Options(
      String serverName, String clientName, List<String> extraServerNames, KeyAlgorithm algorithm,
      Duration validity, boolean force) {
    public Options {
      Objects.requireNonNull(serverName, "serverName");
      Objects.requireNonNull(algorithm, "algorithm");
      Objects.requireNonNull(validity, "validity");
      extraServerNames = List.copyOf(extraServerNames);
      if (serverName.isBlank()) {
        throw new TlsMaterialException("expected a server name, found an empty one");
      }
      if (clientName != null && clientName.isBlank()) {
        throw new TlsMaterialException("expected a client name, found an empty one");
      }
      if (validity.isNegative() || validity.isZero()) {
        throw new TlsMaterialException("expected a positive validity, found " + validity);
      }
    }

    public boolean twoWay() {
      return clientName != null;
    }
  }

  private TlsLayout() {}

  /** Generates the layout into {@code dir}; returns the files written, relative to {@code dir}. */
  public static List<String> write(Path dir, Options options, Clock clock) {
    Path target = dir.toAbsolutePath().normalize();
    if (Files.exists(target) && !options.force()) {
      throw new TlsMaterialException(
          "output directory '" + dir + "' already exists; expected a new path (or --force to replace it)");
    }
    Path parent = target.getParent();
    Path tmp = null;
    try {
      Files.createDirectories(parent);
      tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".new-");
      List<String> files = generate(tmp, options, clock);
      replace(tmp, target);
      tmp = null;
      return files;
    } catch (IOException e) {
      throw new TlsMaterialException("cannot write TLS layout to '" + dir + "': " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        deleteQuietly(tmp);
      }
    }
  }

  private static List<String> generate(Path root, Options o, Clock clock) throws IOException {
    // the CA lives one day longer, so that leaves issued a few seconds later keep their full validity
    CertificateAuthority ca = CertificateAuthority.create(CA_NAME, o.algorithm(), o.validity().plusDays(1), clock);
    List<String> files = new ArrayList<>();
    writePublic(root, "ca_cert.pem", ca.certificatePem(), files);
    writeSecret(root, "ca_key.pem", ca.certifiedKey().privateKeyPem(), files);

    List<String> serverNames = new ArrayList<>(List.of(o.serverName()));
    serverNames.addAll(o.extraServerNames());
    CertifiedKey server = issueViaCsr(ca, o, o.serverName(), serverNames, CertificateProfile.SERVER, root, "server", files);
    if (o.twoWay()) {
      issueViaCsr(ca, o, o.clientName(), List.of(o.clientName()), CertificateProfile.CLIENT, root, "client", files);
    }
    String cfg = sslConfigText(
        server.privateKeyPem(), server.certificatePem(), o.twoWay() ? ca.certificatePem() : "", o.twoWay());
    writeSecret(root, "ssl.cfg", cfg, files);
    return files;
  }

  private static CertifiedKey issueViaCsr(
      CertificateAuthority ca, Options o, String cn, List<String> names, CertificateProfile profile,
      Path root, String sub, List<String> files) throws IOException {
    KeyPair kp = o.algorithm().generate(new SecureRandom());
    byte[] csr = Pkcs10.create(kp, cn, names);
    X509Certificate cert = ca.signCsr(csr, validNames(names), o.validity(), profile);
    CertifiedKey key = new CertifiedKey(kp.getPrivate(), List.of(cert));
    Files.createDirectories(root.resolve(sub));
    writeSecret(root, sub + "/key.pem", key.privateKeyPem(), files);
    if (o.twoWay()) {
      writePublic(root, sub + "/cert.csr", Pkcs10.toPem(csr), files);
    }
    writePublic(root, sub + "/cert.pem", key.certificatePem(), files);
    return key;
  }

  private static List<String> validNames(List<String> names) {
    List<String> out = new ArrayList<>();
    for (String n : names) {
      if (SubjectAltNames.isDnsName(n) || SubjectAltNames.isIpLiteral(n)) {
        out.add(n);
      }
    }
    return out;
  }

  /**
   * TF Serving {@code SSLConfig} text exactly as the seed script writes it: four lines, single
   * quotes, each PEM on one line with literal {@code \n} escapes; an empty {@code customCaPem}
   * gives {@code custom_ca: ''}.
   */
  public static String sslConfigText(
      String serverKeyPem, String serverCertPem, String customCaPem, boolean clientVerify) {
    return "server_key: '" + Pem.toEscapedOneLine(serverKeyPem) + "'\n"
        + "server_cert: '" + Pem.toEscapedOneLine(serverCertPem) + "'\n"
        + "custom_ca: '" + (customCaPem == null || customCaPem.isBlank() ? "" : Pem.toEscapedOneLine(customCaPem)) + "'\n"
        + "client_verify: " + clientVerify + "\n";
  }

  private static void writePublic(Path root, String name, String text, List<String> files) throws IOException {
    Files.writeString(root.resolve(name), text, StandardCharsets.US_ASCII);
    files.add(name);
  }

  private static void writeSecret(Path root, String name, String text, List<String> files) throws IOException {
    Path p = root.resolve(name);
    try {
      Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(p);
    }
    Files.writeString(p, text, StandardCharsets.US_ASCII);
    files.add(name);
  }

  private static void replace(Path fresh, Path target) throws IOException {
    Path old = null;
    if (Files.exists(target)) {
      old = target.resolveSibling("." + target.getFileName() + ".old-" + System.nanoTime());
      Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
    }
    try {
      Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException e) {
      throw new IOException("'" + target + "' appeared while writing; not replaced", e);
    }
    if (old != null) {
      deleteQuietly(old);
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort: a leftover temp directory is harmless
        }
      });
    } catch (IOException ignored) {
      // best effort
    }
  }
}
