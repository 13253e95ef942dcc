package dev.ccserve.crypto.pf;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Objects;

/**
 * What a reader requires of the path embedded (and authenticated) in a protected file's metadata.
 * Gramine binds every protected file to the path it was encrypted for, so that a host cannot swap
 * or rename files; a reader must therefore state which path it expects:
 *
 * <ul>
 *   <li>{@link #exact(String)}: Gramine's own rule, the embedded path equals the given string
 *       byte for byte (UTF-8). Gramine compares against the <em>normalized</em> host path of the
 *       mount, see {@link #normalize(String)}.
 *   <li>{@link #suffix(String)}: after normalizing both sides ({@code ./}, empty components,
 *       {@code ..}), the embedded path's last components equal the given components, e.g.
 *       {@code suffix("resnet/1/saved_model.pb")} accepts {@code models/resnet/1/saved_model.pb}
 *       and {@code /srv/resnet/1/saved_model.pb}, not {@code models/xresnet/1/saved_model.pb}.
 *   <li>{@link #insecureAny()}: DANGEROUS: accepts any path, so a host can substitute another
 *       file encrypted under the same key. Only for offline decryption without verification.
 * </ul>
 *
 * <p>{@link #resolve(String)} derives the binding of a file inside a bound directory. Immutable
 * and thread-safe.
 */
public final class PathBinding {
  private enum Kind { EXACT, SUFFIX, ANY }

  private final Kind kind;
  private final String path;

  private PathBinding(Kind kind, String path) {
    this.kind = kind;
    this.path = path;
  }

  /** Embedded path must equal {@code path} exactly (Gramine's rule). */
  public static PathBinding exact(String path) {
    Objects.requireNonNull(path, "path");
    if (path.isEmpty() || path.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("exact path binding needs a non-empty path without NUL");
    }
    return new PathBinding(Kind.EXACT, path);
  }

  /** Embedded path must end with the components of {@code pathSuffix} (see class doc). */
  public static PathBinding suffix(String pathSuffix) {
    Objects.requireNonNull(pathSuffix, "pathSuffix");
    List<String> parts = components(pathSuffix);
    if (parts.isEmpty() || parts.contains("..")) {
      throw new IllegalArgumentException(
          "suffix path binding needs at least one component and no '..': \"" + pathSuffix + "\"");
    }
    return new PathBinding(Kind.SUFFIX, String.join("/", parts));
  }

  /** DANGEROUS: accepts any embedded path; a host can then swap files. */
  public static PathBinding insecureAny() {
    return new PathBinding(Kind.ANY, "");
  }

  /**
   * Normalizes a path the way Gramine does before comparing: drops empty and {@code .}
   * components, resolves {@code ..} lexically, keeps a leading {@code /}; relative stays relative.
   */
  public static String normalize(String path) {
    boolean absolute = path.startsWith("/");
    Deque<String> out = new ArrayDeque<>();
    for (String part : path.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (!out.isEmpty() && !out.peekLast().equals("..")) {
          out.removeLast();
        } else if (!absolute) {
          out.addLast(part);
        }
        continue;
      }
      out.addLast(part);
    }
    String joined = String.join("/", out);
    return absolute ? "/" + joined : joined;
  }

  /**
   * The binding of file {@code relativePath} (components separated by {@code /}) inside a
   * directory bound by this binding: exact and suffix append the path, insecureAny stays so.
   */
  public PathBinding resolve(String relativePath) {
    List<String> rel = components(relativePath);
    if (relativePath.startsWith("/") || rel.isEmpty() || rel.contains("..")) {
      throw new IllegalArgumentException("not a relative path below a directory: \"" + relativePath + "\"");
    }
    String tail = String.join("/", rel);
    switch (kind) {
      case EXACT:
        return exact(path.endsWith("/") ? path + tail : path + "/" + tail);
      case SUFFIX:
        return suffix(path + "/" + tail);
      default:
        return this;
    }
  }

  /** True when {@code embeddedPath} satisfies this binding. */
  public boolean matches(String embeddedPath) {
    switch (kind) {
      case EXACT:
        return path.equals(embeddedPath);
      case SUFFIX:
        List<String> want = components(path);
        List<String> found = components(normalize(embeddedPath));
        return found.size() >= want.size()
            && found.subList(found.size() - want.size(), found.size()).equals(want);
      default:
        return true;
    }
  }

  /** True only for {@link #insecureAny()}. */
  public boolean isInsecure() {
    return kind == Kind.ANY;
  }

  @Override
  public String toString() {
    switch (kind) {
      case EXACT:
        return "exact \"" + path + "\"";
      case SUFFIX:
        return "suffix \"" + path + "\"";
      default:
        return "any path (INSECURE: not verified)";
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PathBinding && ((PathBinding) o).kind == kind
        && ((PathBinding) o).path.equals(path);
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + path.hashCode();
  }

  private static List<String> components(String p) {
    List<String> parts = new ArrayList<>(Arrays.asList(p.split("/")));
    parts.removeIf(s -> s.isEmpty() || s.equals("."));
    return parts;
  }
}
