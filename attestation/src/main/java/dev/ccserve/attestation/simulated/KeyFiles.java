package dev.ccserve.attestation.simulated;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Set;

/** PEM reading and writing of keys (mode 0600) and certificates for the simulated TEE. */
final class KeyFiles {
  private KeyFiles() {}

  static String pem(String type, byte[] der) {
    String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n";
  }

  static byte[] unpem(String text, String type) throws IOException {
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    int b = text.indexOf(begin);
    int e = text.indexOf(end);
    if (b < 0 || e < b) {
      throw new IOException("expected a PEM " + type + " block");
    }
    return Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
  }

  static void writePrivate(Path file, PrivateKey key) throws IOException {
    writeAtomically(file, pem("PRIVATE KEY", key.getEncoded()), true);
  }

  static void writeCert(Path file, X509Certificate cert) throws IOException {
    try {
      writeAtomically(file, pem("CERTIFICATE", cert.getEncoded()), false);
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IOException(e);
    }
  }

  static PrivateKey readPrivate(Path file) throws IOException {
    try {
      byte[] der = unpem(Files.readString(file, StandardCharsets.US_ASCII), "PRIVATE KEY");
      return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read private key " + file.getFileName(), e);
    }
  }

  static X509Certificate readCert(Path file) throws IOException {
    try {
      byte[] der = unpem(Files.readString(file, StandardCharsets.US_ASCII), "CERTIFICATE");
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read certificate " + file.getFileName(), e);
    }
  }

  private static void writeAtomically(Path file, String content, boolean secret) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
    if (posix) {
      Set<PosixFilePermission> perms = PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--");
      FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(perms);
      Files.createFile(tmp, attr);
      Files.setPosixFilePermissions(tmp, perms); // umask may have narrowed/changed the bits
    } else {
      try {
        Files.createFile(tmp);
      } catch (FileAlreadyExistsException e) {
        // raced with ourselves; overwrite below
      }
    }
    Files.writeString(tmp, content, StandardCharsets.US_ASCII);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
