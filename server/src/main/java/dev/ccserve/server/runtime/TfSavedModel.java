package dev.ccserve.server.runtime;

import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.SignatureDef;
import dev.ccserve.api.tf.TensorInfo;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServingException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;

/**
 * A loaded SavedModel: the servable of the TensorFlow platform. Holds the bundle and its
 * signatures (as wire protos), and runs one signature with TF Serving's predict semantics
 * (signature lookup, input-set and output-filter checks, per-input dtype/shape validation).
 * Thread-safe: TensorFlow sessions accept concurrent runs. Closing it frees the native session.
 */
public final class TfSavedModel implements AutoCloseable {
  public static final String DEFAULT_SIGNATURE = "serving_default";

  private final SavedModelBundle bundle;
  private final Map<String, SignatureDef> signatures;
  private final boolean asTensorContent;

  private TfSavedModel(SavedModelBundle bundle, Map<String, SignatureDef> signatures,
      boolean asTensorContent) {
    this.bundle = bundle;
    this.signatures = signatures;
    this.asTensorContent = asTensorContent;
  }

  /** Loads a SavedModel from a directory or a {@code ram://} path. */
  public static TfSavedModel load(String exportDir, TfSessionOptions options)
      throws ServingException {
    return load(exportDir, options, null);
  }

  /**
   * Loads a SavedModel and warms it up: by replaying {@code warmupFile} (the contents of
   * {@code assets.extra/tf_serving_warmup_requests}, TF Serving's TFRecord of PredictionLogs) when
   * given, else by one batch-1 run on zeros. A corrupt warm-up file fails the load, as in TF
   * Serving; Classify/Regress/MultiInference records are skipped (ccserve serves Predict only).
   */
  public static TfSavedModel load(String exportDir, TfSessionOptions options, byte[] warmupFile)
      throws ServingException {
    return load(exportDir, options, warmupFile, b -> { });
  }

  /** A step run on the freshly loaded bundle, before its signatures are read and it warms up. */
  @FunctionalInterface
  public interface BundleStep {
    void apply(SavedModelBundle bundle) throws ServingException;
  }

  /**
   * As {@link #load(String, TfSessionOptions, byte[])}, running {@code afterLoad} on the bundle
   * first (a protected model's loader restores its variables there); if it fails, the bundle is
   * closed and its error is thrown (TensorFlow errors mapped to serving codes).
   */
  public static TfSavedModel load(String exportDir, TfSessionOptions options, byte[] warmupFile,
      BundleStep afterLoad) throws ServingException {
    SavedModelBundle b;
    try {
      b = SavedModelBundle.loader(exportDir)
          .withTags(options.savedModelTags().toArray(String[]::new))
          .withConfigProto(options.configProto())
          .load();
    } catch (RuntimeException e) {
      if (!TfErrors.isTensorFlow(e)) {
        throw e;
      }
      throw TfErrors.map("cannot load SavedModel from " + exportDir + " with tags "
          + options.savedModelTags(), e);
    }
    try {
      afterLoad.apply(b);
    } catch (ServingException e) {
      b.close();
      throw e;
    } catch (RuntimeException e) {
      b.close();
      if (!TfErrors.isTensorFlow(e)) {
        throw e;
      }
      throw TfErrors.map("cannot restore the variables of the SavedModel at " + exportDir, e);
    }
    try {
      Map<String, SignatureDef> sigs = new TreeMap<>();
      for (Map.Entry<String, org.tensorflow.proto.SignatureDef> e :
          b.metaGraphDef().getSignatureDefMap().entrySet()) {
        sigs.put(e.getKey(), SignatureDef.parseFrom(e.getValue().toByteString()));
      }
      TfSavedModel m = new TfSavedModel(b, Map.copyOf(sigs), options.serializeAsTensorContent());
      if (options.enableWarmup() && warmupFile != null) {
        m.replay(WarmupRecords.parse(warmupFile), exportDir);
      } else if (options.enableWarmup()) {
        try {
          m.warmUp();
        } catch (ServingException warmupFailed) {
          // Warm-up only saves the first request's latency; a model that cannot run on zeros
          // still serves real requests, which report their own errors.
        }
      }
      return m;
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      b.close();
      throw new ServingException(Code.DATA_LOSS, "SavedModel at " + exportDir
          + " has an unreadable SignatureDef: " + e.getMessage());
    } catch (RuntimeException e) {
      b.close();
      throw e;
    }
  }

  public Map<String, SignatureDef> signatures() {
    return signatures;
  }

  /** Looks a signature up; an empty key means {@code serving_default}. */
  public SignatureDef signature(String key) throws ServingException {
    String k = key == null || key.isEmpty() ? DEFAULT_SIGNATURE : key;
    SignatureDef s = signatures.get(k);
    if (s == null) {
      throw ServingException.failedPrecondition("Serving signature key \"" + k + "\" not found.");
    }
    return s;
  }

  /**
   * Runs a signature. Inputs are keyed by alias; {@code outputFilter} empty = all outputs.
   * {@code timeoutMillis} &lt;= 0 means none.
   */
  public Map<String, TensorProto> predict(String signatureKey, Map<String, TensorProto> inputs,
      Collection<String> outputFilter, long timeoutMillis) throws ServingException {
    SignatureDef sig = signature(signatureKey);
    checkInputSet(sig, inputs.keySet());
    List<String> outputs = selectOutputs(sig, outputFilter);
    List<Tensor> fed = new ArrayList<>();
    try {
      Session.Runner r = bundle.session().runner();
      for (Map.Entry<String, TensorProto> e : inputs.entrySet()) {
        TensorInfo info = sig.getInputsOrThrow(e.getKey());
        Tensor t = TensorCodec.toTensor(e.getKey(), e.getValue(), info);
        fed.add(t);
        r.feed(info.getName(), t);
      }
      for (String alias : outputs) {
        r.fetch(sig.getOutputsOrThrow(alias).getName());
      }
      if (timeoutMillis > 0) {
        r.setOptions(org.tensorflow.proto.RunOptions.newBuilder()
            .setTimeoutInMs(timeoutMillis).build());
      }
      Map<String, TensorProto> out = new LinkedHashMap<>();
      try (Result res = r.run()) {
        for (int i = 0; i < outputs.size(); i++) {
          out.put(outputs.get(i), TensorCodec.fromTensor(res.get(i), asTensorContent));
        }
      }
      return out;
    } catch (RuntimeException e) {
      if (!TfErrors.isTensorFlow(e)) {
        throw e;
      }
      throw TfErrors.map("running signature \"" + signatureKey + "\" failed", e);
    } finally {
      for (Tensor t : fed) {
        t.close();
      }
    }
  }

  private static void checkInputSet(SignatureDef sig, java.util.Set<String> sent)
      throws ServingException {
    TreeSet<String> extra = new TreeSet<>(sent);
    extra.removeAll(sig.getInputsMap().keySet());
    TreeSet<String> missing = new TreeSet<>(sig.getInputsMap().keySet());
    missing.removeAll(sent);
    missing.removeAll(sig.getDefaultsMap().keySet());
    if (!extra.isEmpty() || !missing.isEmpty()) {
      throw ServingException.invalidArgument("input size does not match signature: "
          + sent.size() + "!=" + sig.getInputsCount() + " len(" + new TreeSet<>(sent) + ") != len("
          + new TreeSet<>(sig.getInputsMap().keySet()) + "). Sent extra: " + extra
          + ". Missing but required: " + missing + ".");
    }
  }

  private static List<String> selectOutputs(SignatureDef sig, Collection<String> filter)
      throws ServingException {
    if (filter == null || filter.isEmpty()) {
      return new ArrayList<>(new TreeSet<>(sig.getOutputsMap().keySet()));
    }
    List<String> out = new ArrayList<>();
    for (String a : filter) {
      if (!sig.getOutputsMap().containsKey(a)) {
        throw ServingException.invalidArgument("output tensor alias not found in signature: " + a
            + " Outputs expected to be in the set " + new TreeSet<>(sig.getOutputsMap().keySet())
            + ".");
      }
      if (out.contains(a)) {
        throw ServingException.invalidArgument("duplicate output tensor alias: " + a);
      }
      out.add(a);
    }
    return out;
  }

  private void replay(java.util.List<tensorflow.serving.PredictionLogOuterClass.PredictionLog> logs,
      String exportDir) throws ServingException {
    int skipped = 0;
    for (var log : logs) {
      if (!log.hasPredictLog()) {
        skipped++;
        continue;
      }
      var req = log.getPredictLog().getRequest();
      predict(req.getModelSpec().getSignatureName(), req.getInputsMap(),
          req.getOutputFilterList(), 0);
    }
    if (skipped > 0) {
      org.slf4j.LoggerFactory.getLogger(TfSavedModel.class).warn(
          "warm-up of {}: skipped {} non-Predict record(s) of {}", exportDir, skipped, logs.size());
    }
  }

  /**
   * Runs the default signature once on zeros, batch 1, so the first client request does not pay
   * for graph optimisation. Skipped when the signature has non-numeric inputs or unknown inner
   * dimensions.
   */
  private void warmUp() throws ServingException {
    SignatureDef sig = signatures.get(DEFAULT_SIGNATURE);
    if (sig == null) {
      return;
    }
    Map<String, TensorProto> in = new LinkedHashMap<>();
    for (Map.Entry<String, TensorInfo> e : sig.getInputsMap().entrySet()) {
      TensorInfo ti = e.getValue();
      DataType dt = ti.getDtype();
      TensorShapeProto s = ti.getTensorShape();
      if (TensorCodec.elementSize(dt) < 0 || s.getUnknownRank()) {
        return;
      }
      TensorShapeProto.Builder sb = TensorShapeProto.newBuilder();
      long n = 1;
      for (int i = 0; i < s.getDimCount(); i++) {
        long d = s.getDim(i).getSize();
        if (d < 0 && i > 0) {
          return;
        }
        d = d < 0 ? 1 : d;
        n *= d;
        sb.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
      }
      in.put(e.getKey(), TensorProto.newBuilder().setDtype(dt).setTensorShape(sb)
          .setTensorContent(com.google.protobuf.ByteString.copyFrom(
              new byte[Math.toIntExact(n * TensorCodec.elementSize(dt))]))
          .build());
    }
    predict(DEFAULT_SIGNATURE, in, List.of(), 0);
  }

  @Override
  public void close() {
    bundle.close();
  }
}
