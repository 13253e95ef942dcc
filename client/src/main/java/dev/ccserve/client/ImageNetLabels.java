package dev.ccserve.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The 1001 ImageNet class names of TensorFlow's ResNet-50 v1.5 output (index 0 = background,
 * 1..1000 = the ILSVRC-2012 classes in synset order), and top-k selection over a score vector.
 * ccserve does not ship the class names: they are read once from the file named by the system
 * property {@code ccserve.imagenet_labels} (one label per line, 1001 lines, such as TensorFlow's
 * {@code ImageNetLabels.txt}); without it, classes are shown as {@code class <index>}.
 * Immutable and thread-safe.
 */
public final class ImageNetLabels {
  /** One ranked class: its index in the 1001-entry output, label and score. */
  public record Ranked(int index, String label, float score) {}

  private static final List<String> LABELS = load();

  private ImageNetLabels() {}

  public static int size() {
    return LABELS.size();
  }

  /** The label of {@code index}, or {@code "class <index>"} outside the 1001 entries. */
  public static String label(int index) {
    return index >= 0 && index < LABELS.size() ? LABELS.get(index) : "class " + index;
  }

  /** The {@code k} highest scores, best first (ties by lower index). */
  public static List<Ranked> top(float[] scores, int k) {
    return IntStream.range(0, scores.length).boxed()
        .sorted(Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i))
        .limit(k)
        .map(i -> new Ranked(i, scores.length == LABELS.size() ? label(i) : "class " + i, scores[i]))
        .toList();
  }

  private static List<String> load() {
    String file = System.getProperty("ccserve.imagenet_labels");
    if (file == null || file.isBlank()) {
      return List.of();
    }
    try (InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(file))) {
      List<String> out = new ArrayList<>();
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line; (line = r.readLine()) != null; ) {
        if (!line.isBlank()) {
          out.add(line.strip());
        }
      }
      return List.copyOf(out);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read -Dccserve.imagenet_labels=" + file + ": " + e);
    }
  }
}
