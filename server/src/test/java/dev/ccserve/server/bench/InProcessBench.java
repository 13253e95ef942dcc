package dev.ccserve.server.bench;

import com.google.protobuf.ByteString;
import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import dev.ccserve.crypto.key.WrapKey;
import dev.ccserve.server.config.ModelConfig;
import dev.ccserve.server.core.ServableId;
import dev.ccserve.server.loader.Loaders;
import dev.ccserve.server.runtime.TfSavedModel;
import dev.ccserve.server.runtime.TfSessionOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/**
 * The in-process side of {@code bench/run.sh}: ResNet-50 throughput and latency with TensorFlow
 * alone (a pre-built input tensor, one session run per batch: the "raw" figures), through
 * {@link TfSavedModel#predict} (proto in, proto out: the server's runtime path without a
 * transport), and plain-vs-encrypted load times in one JVM. Prints one JSON object. Not a test.
 *
 * <p>Args: {@code --model VERSION_DIR --encrypted VERSION_DIR --key FILE --batches 1,8,32
 * --seconds S --sets N --load_runs N}.
 */
public final class InProcessBench {
  private InProcessBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    Path model = Path.of(a.get("model"));
    double seconds = Double.parseDouble(a.getOrDefault("seconds", "10"));
    int sets = Integer.parseInt(a.getOrDefault("sets", "3"));
    StringBuilder json = new StringBuilder("{\"bench\":\"inprocess\"");
    List<Integer> batches = new ArrayList<>();
    for (String b : a.getOrDefault("batches", "1,8,32").split(",")) {
      if (!b.isBlank() && !b.equals("none")) {
        batches.add(Integer.parseInt(b.trim()));
      }
    }
    ConfigProto cfg = ConfigProto.newBuilder().setIntraOpParallelismThreads(0)
        .setInterOpParallelismThreads(0).build();
    if (!batches.isEmpty()) try (SavedModelBundle raw = SavedModelBundle.loader(model.toString()).withTags("serve")
        .withConfigProto(cfg).load()) {
      var sig = raw.metaGraphDef().getSignatureDefMap().get("serving_default");
      String in = sig.getInputsMap().get("input").getName();
      String out = sig.getOutputsMap().get("predict").getName();
      for (int b : batches) {
        float[] data = randomImages(b);
        try (TFloat32 t = TFloat32.tensorOf(Shape.of(b, 224, 224, 3))) {
          t.asRawTensor().data().asFloats().write(data);
          Session s = raw.session();
          double[] r = measure(b, seconds, sets, () -> {
            try (Result res = s.runner().feed(in, t).fetch(out).run()) {
              res.get(0);
            }
          });
          json.append(String.format(Locale.ROOT, ",\"raw_b%d_images_per_s\":%.3f,"
              + "\"raw_b%d_p50_ms\":%.3f,\"raw_b%d_cpu_ms_per_image\":%.3f", b, r[0], b, r[1],
              b, r[2]));
          log("raw batch %d: %.2f images/s, p50 %.1f ms, %.1f CPU ms/image", b, r[0], r[1], r[2]);
        }
      }
    }
    if (!batches.isEmpty()) try (TfSavedModel m = TfSavedModel.load(model.toString(),
        new TfSessionOptions(0, 0, List.of("serve"), false, false))) {
      for (int b : batches) {
        Map<String, TensorProto> req = Map.of("input", proto(randomImages(b), b));
        double[] r = measure(b, seconds, sets,
            () -> m.predict("serving_default", req, List.of(), 0));
        json.append(String.format(Locale.ROOT, ",\"predict_b%d_images_per_s\":%.3f,"
            + "\"predict_b%d_p50_ms\":%.3f,\"predict_b%d_cpu_ms_per_image\":%.3f", b, r[0], b,
            r[1], b, r[2]));
        log("TfSavedModel.predict batch %d: %.2f images/s, p50 %.1f ms, %.1f CPU ms/image", b,
            r[0], r[1], r[2]);
      }
    }
    if (a.containsKey("encrypted")) {
      double[] load = loadTimes(model, Path.of(a.get("encrypted")), Path.of(a.get("key")),
          Integer.parseInt(a.getOrDefault("load_runs", "5")));
      json.append(String.format(Locale.ROOT, ",\"plain_load_ms\":%.1f,\"encrypted_load_ms\":%.1f,"
          + "\"load_pair_ratio_median\":%.3f,\"load_pairs\":%d", load[0], load[1], load[2],
          (int) load[3]));
    }
    System.out.println(json.append('}'));
  }

  interface Run {
    void run() throws Exception;
  }

  /**
   * {images/s (median over sets), p50 ms per batch over all timed runs, process CPU ms per image
   * over all timed runs}. CPU time is less disturbed than wall time by other users of the cores.
   */
  static double[] measure(int batch, double seconds, int sets, Run run) throws Exception {
    for (int i = 0; i < 2; i++) {
      run.run();
    }
    List<Double> tput = new ArrayList<>();
    List<Double> lat = new ArrayList<>();
    var os = (com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    for (int s = 0; s < sets; s++) {
      long start = System.nanoTime();
      int n = 0;
      while (n < 3 || System.nanoTime() - start < seconds * 1e9) {
        long t0 = System.nanoTime();
        run.run();
        lat.add((System.nanoTime() - t0) / 1e6);
        n++;
      }
      tput.add(n * batch / ((System.nanoTime() - start) / 1e9));
    }
    double cpuMsPerImage = (os.getProcessCpuTime() - cpu0) / 1e6 / (lat.size() * (double) batch);
    return new double[] {median(tput), median(lat), cpuMsPerImage};
  }

  /**
   * {plain ms, encrypted ms, median of the pairs' encrypted/plain ratios, pairs}: medians, loads
   * alternated in this JVM (each encrypted load right after a plain one, so a pair shares the
   * machine's load of the moment), model warm-up off. The protected-file read path is JIT-warmed
   * first, as {@code ccserve serve} does while it attests.
   */
  static double[] loadTimes(Path plain, Path enc, Path keyFile, int runs) throws Exception {
    dev.ccserve.crypto.pf.GraminePfReader.warmUpForLoading();
    WrapKey key = WrapKey.readFrom(keyFile);
    TfSessionOptions so = new TfSessionOptions(0, 0, List.of("serve"), false, false);
    var loaders = Loaders.create(so, name -> key, false);
    List<Double> p = new ArrayList<>();
    List<Double> e = new ArrayList<>();
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < runs + 1; i++) {
      for (Path dir : List.of(plain, enc)) {
        ModelConfig mc = ModelConfig.of("bench", dir.getParent());
        long t0 = System.nanoTime();
        try (TfSavedModel m = loaders.create(mc, new ServableId("bench", 1), dir).load()) {
          double ms = (System.nanoTime() - t0) / 1e6;
          if (i > 0) { // the first pair warms the page cache and the JIT
            (dir == plain ? p : e).add(ms);
          }
          log("load %s: %.0f ms", dir == plain ? "plain" : "encrypted", ms);
        }
      }
    }
    for (int i = 0; i < p.size(); i++) {
      ratios.add(e.get(i) / p.get(i));
    }
    return new double[] {median(p), median(e), median(ratios), ratios.size()};
  }

  static float[] randomImages(int b) {
    Random rnd = new Random(b);
    float[] f = new float[b * 224 * 224 * 3];
    for (int i = 0; i < f.length; i++) {
      f[i] = rnd.nextFloat();
    }
    return f;
  }

  static TensorProto proto(float[] f, int b) {
    ByteBuffer bb = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bb.asFloatBuffer().put(f);
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : new long[] {b, 224, 224, 3}) {
      s.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(s)
        .setTensorContent(ByteString.copyFrom(bb.array())).build();
  }

  static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    Collections.sort(s);
    int n = s.size();
    return n == 0 ? Double.NaN : n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  static void log(String fmt, Object... args) {
    System.err.println("inprocess: " + String.format(Locale.ROOT, fmt, args));
  }
}
