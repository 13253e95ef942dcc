package dev.ccserve.keybroker;

import dev.ccserve.keybroker.KeyBrokerException.Kind;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The broker's secrets: one regular file per secret in a directory, the file name being the
 * secret name ({@code [A-Za-z0-9][A-Za-z0-9._-]*}, at most 128 characters; names starting with
 * a dot are ignored) and the content the raw secret (1..65536 bytes; 16 for a model wrap key).
 *
 * <p>Loading is all or nothing and refuses any secret file that its group or other users can
 * access in any way (the error prints the {@code chmod 600} to run). Secret bytes never appear in
 * messages. Immutable and thread-safe once loaded.
 */
final class SecretStore {
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  static final int MAX_BYTES = 64 * 1024;
  private static final Set<PosixFilePermission> GROUP_OTHER = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private final Path dir;
  private final Map<String, Secret> secrets;

  private SecretStore(Path dir, Map<String, Secret> secrets) {
    this.dir = dir;
    this.secrets = Collections.unmodifiableMap(secrets);
  }

  /** Loads every secret in {@code dir}. */
  static SecretStore load(Path dir) throws KeyBrokerException {
    if (!Files.isDirectory(dir)) {
      throw new KeyBrokerException(Kind.CONFIGURATION,
          "--secrets: expected a directory of secret files, found " + (Files.exists(dir) ? "a file" : "nothing")
              + " at " + dir);
    }
    Map<String, Secret> out = new TreeMap<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path f : ds) {
        String name = f.getFileName().toString();
        if (name.startsWith(".") || Files.isDirectory(f)) {
          continue;
        }
        if (!NAME.matcher(name).matches()) {
          throw new KeyBrokerException(Kind.CONFIGURATION, "secret file " + f
              + ": expected a name matching " + NAME.pattern() + ", found \"" + name + "\"");
        }
        out.put(name, read(f, name));
      }
    } catch (IOException e) {
      throw new KeyBrokerException(Kind.CONFIGURATION,
          "cannot list secrets directory " + dir + ": " + e.getClass().getSimpleName(), e);
    }
    return new SecretStore(dir, out);
  }

  /** Throws when {@code file} grants any permission to group or other (print the fix). */
  static void requireOwnerOnly(Path file, String what) throws KeyBrokerException {
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    if (view == null) {
      return;
    }
    Set<PosixFilePermission> perms;
    try {
      perms = view.readAttributes().permissions();
    } catch (IOException e) {
      throw new KeyBrokerException(Kind.CONFIGURATION,
          "cannot read permissions of " + what + " " + file + ": " + e.getClass().getSimpleName(), e);
    }
    Set<PosixFilePermission> excess = EnumSet.noneOf(PosixFilePermission.class);
    excess.addAll(perms);
    excess.retainAll(GROUP_OTHER);
    if (!excess.isEmpty()) {
      throw new KeyBrokerException(Kind.CONFIGURATION,
          what + " " + file + " is accessible by group/other (permissions "
              + PosixFilePermissions.toString(perms) + ", expected rw-------); refusing to start. Run: chmod 600 "
              + file);
    }
  }

  private static Secret read(Path f, String name) throws KeyBrokerException {
    requireOwnerOnly(f, "secret file");
    byte[] b = null;
    try {
      long size = Files.size(f);
      if (size < 1 || size > MAX_BYTES) {
        throw new KeyBrokerException(Kind.CONFIGURATION,
            "secret file " + f + ": expected 1.." + MAX_BYTES + " bytes, found " + size);
      }
      b = Files.readAllBytes(f);
      return new Secret(name, b);
    } catch (IOException e) {
      throw new KeyBrokerException(Kind.CONFIGURATION,
          "cannot read secret file " + f + ": " + e.getClass().getSimpleName(), e);
    } finally {
      if (b != null) {
        Arrays.fill(b, (byte) 0);
      }
    }
  }

  Optional<Secret> get(String name) {
    return Optional.ofNullable(secrets.get(name));
  }

  Set<String> names() {
    return secrets.keySet();
  }

  Path directory() {
    return dir;
  }

  @Override
  public String toString() {
    return "SecretStore[" + dir + ", " + secrets.values() + "]";
  }
}
