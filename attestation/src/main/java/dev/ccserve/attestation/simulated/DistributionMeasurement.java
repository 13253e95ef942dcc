package dev.ccserve.attestation.simulated;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A SHA-256 measurement of a ccserve distribution: the jars (or class directories) it runs from and
 * the configuration values that affect security. It is what the simulated TEE reports as MRENCLAVE,
 * and what {@code ccserve measure} prints for a broker policy.
 *
 * <p>Definition (version 1), all strings UTF-8, integers big-endian u64:
 *
 * <pre>
 * SHA-256( "ccserve-distribution-measurement-v1\0"
 *          ‖ n_entries ‖ for each entry sorted by (name, digest): name ‖ "\0" ‖ SHA-256(content)
 *          ‖ n_config  ‖ for each config key sorted: key ‖ "\0" ‖ value ‖ "\0" )
 * </pre>
 *
 * A jar entry is named by its file name (not its directory, so the install location does not
 * matter) and its content is the jar's bytes. A directory contributes one entry per regular file,
 * named {@code <dir name>/<relative path with '/'>}. A changed, added or removed jar changes the
 * measurement. Immutable.
 */
public final class DistributionMeasurement {
  private static final String LABEL = "ccserve-distribution-measurement-v1\0";
  private final byte[] value;
  private final int entries;

  private DistributionMeasurement(byte[] value, int entries) {
    this.value = value;
    this.entries = entries;
  }

  /** Measures the given jars or directories and configuration. */
  public static DistributionMeasurement of(List<Path> jarsOrDirs, Map<String, String> measuredConfig)
      throws IOException {
    Objects.requireNonNull(jarsOrDirs, "jarsOrDirs");
    List<String[]> items = new ArrayList<>(); // {name, hex digest}
    for (Path p : jarsOrDirs) {
      if (Files.isDirectory(p)) {
        String dirName = p.getFileName() == null ? "" : p.getFileName().toString();
        try (Stream<Path> walk = Files.walk(p)) {
          for (Path f : (Iterable<Path>) walk.filter(Files::isRegularFile).sorted()::iterator) {
            String rel = p.relativize(f).toString().replace(File.separatorChar, '/');
            items.add(new String[] {dirName + "/" + rel, fileDigest(f)});
          }
        }
      } else if (Files.isRegularFile(p)) {
        items.add(new String[] {p.getFileName().toString(), fileDigest(p)});
      } else {
        throw new IOException("cannot measure " + p + ": not a file or directory");
      }
    }
    items.sort(Comparator.<String[], String>comparing(a -> a[0]).thenComparing(a -> a[1]));
    MessageDigest sha = sha256();
    sha.update(LABEL.getBytes(StandardCharsets.UTF_8));
    sha.update(u64(items.size()));
    for (String[] it : items) {
      sha.update(it[0].getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(HexFormat.of().parseHex(it[1]));
    }
    Map<String, String> cfg = new TreeMap<>(measuredConfig == null ? Map.of() : measuredConfig);
    sha.update(u64(cfg.size()));
    for (Map.Entry<String, String> e : cfg.entrySet()) {
      sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(e.getValue().getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
    }
    return new DistributionMeasurement(sha.digest(), items.size());
  }

  /** Measures the entries of {@code java.class.path} of the running JVM. */
  public static DistributionMeasurement ofRunningClassPath(Map<String, String> measuredConfig)
      throws IOException {
    List<Path> paths = new ArrayList<>();
    for (String s : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
      if (!s.isEmpty() && Files.exists(Paths.get(s))) {
        paths.add(Paths.get(s));
      }
    }
    return of(paths, measuredConfig);
  }

  /** The 32-byte measurement (copy). */
  public byte[] bytes() {
    return value.clone();
  }

  /** Lower-case hex of the measurement. */
  public String hex() {
    return HexFormat.of().formatHex(value);
  }

  /** How many files (jars or class files) were measured. */
  public int entries() {
    return entries;
  }

  private static String fileDigest(Path f) throws IOException {
    MessageDigest sha = sha256();
    byte[] buf = new byte[65536];
    try (InputStream in = Files.newInputStream(f)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        sha.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static byte[] u64(long v) {
    byte[] b = new byte[8];
    for (int i = 7; i >= 0; i--) {
      b[i] = (byte) v;
      v >>>= 8;
    }
    return b;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "DistributionMeasurement{" + hex() + ", entries=" + entries + "}";
  }
}
