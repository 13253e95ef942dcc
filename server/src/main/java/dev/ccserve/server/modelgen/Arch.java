package dev.ccserve.server.modelgen;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The model architectures {@link ModelGenerator} can build. Every architecture exports a
 * SavedModel with tag {@code serve} and one signature {@code serving_default} whose method name is
 * {@code tensorflow/serving/predict}.
 *
 * <ul>
 *   <li>{@link #RESNET50}: ResNet-50 v1.5 as in the seed deployment: input {@code input} float32
 *       [-1,224,224,3] (NHWC, pixel values 0–255), output {@code predict} float32 [-1,1001]
 *       (softmax, index 0 = background).
 *   <li>{@link #TINY}: the same signature with a ~10 k-parameter network (strided conv, global
 *       mean, dense, softmax) for fast tests.
 *   <li>{@link #TINY_MULTI}: two inputs and two outputs of different dtypes, no variables:
 *       inputs {@code x} float32 [-1,3] and {@code k} int64 [-1]; outputs {@code y} float32
 *       [-1,3] with {@code y[i][j] = 2·x[i][j] + k[i]} and {@code label} string [-1] with
 *       {@code label[i] = "class_" + k[i]} (decimal). Outputs do not depend on the seed.
 * </ul>
 *
 * Immutable; thread-safe.
 */
public enum Arch {
  RESNET50("resnet50"),
  TINY("tiny"),
  TINY_MULTI("tiny-multi");

  private final String cliName;

  Arch(String cliName) {
    this.cliName = cliName;
  }

  /** The name used on the command line ({@code resnet50}, {@code tiny}, {@code tiny-multi}). */
  public String cliName() {
    return cliName;
  }

  /**
   * Parses a command-line name (case-insensitive; {@code _} and {@code -} are interchangeable).
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static Arch fromCliName(String name) {
    String wanted = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    for (Arch arch : values()) {
      if (arch.cliName.equals(wanted)) {
        return arch;
      }
    }
    throw new IllegalArgumentException(
        "unknown architecture \"" + name + "\"; expected one of "
            + Arrays.stream(values()).map(Arch::cliName).collect(Collectors.joining(", ")));
  }
}
