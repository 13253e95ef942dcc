package dev.ccserve.server;

import com.google.protobuf.Any;
import com.google.protobuf.Int64Value;
import dev.ccserve.api.tf.SignatureDef;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServableHandle;
import dev.ccserve.server.core.ServableStateMonitor.VersionStatus;
import dev.ccserve.server.core.ServingException;
import dev.ccserve.server.metrics.ServingMetrics;
import dev.ccserve.server.runtime.TfSavedModel;
import java.util.Map;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.GetModelMetadata.SignatureDefMap;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.GetModelStatusResponse;
import tensorflow.serving.GetModelStatus.ModelVersionStatus;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.Status.StatusProto;

/**
 * TF Serving's API semantics over the {@link ServerCore}, in protobuf terms: Predict,
 * GetModelMetadata and GetModelStatus. The gRPC and REST adapters are thin translations onto these
 * methods, so both transports behave identically. Records per-request metrics. Thread-safe.
 */
public final class ServingApi {
  static final String SIGNATURE_DEF = "signature_def";

  private final ServerCore core;
  private final ServingMetrics metrics;
  private final Predictor predictor;

  /** Runs a predict on a loaded model; the batching layer plugs in here. */
  public interface Predictor {
    Map<String, TensorProto> predict(ServableHandle<TfSavedModel> model, String signature,
        Map<String, TensorProto> inputs, java.util.List<String> outputFilter, long timeoutMillis)
        throws ServingException;
  }

  public ServingApi(ServerCore core, ServingMetrics metrics, Predictor predictor) {
    this.core = core;
    this.metrics = metrics;
    this.predictor = predictor;
  }

  /** The direct predictor: one session run per request. */
  public static Predictor direct() {
    return (m, sig, in, filter, timeout) -> m.get().predict(sig, in, filter, timeout);
  }

  public ServerCore core() {
    return core;
  }

  public ServingMetrics metrics() {
    return metrics;
  }

  public PredictResponse predict(PredictRequest req, long timeoutMillis,
      ServingMetrics.Entrypoint entry) throws ServingException {
    long t0 = System.nanoTime();
    long version = -1;
    String model = req.getModelSpec().getName();
    try (ServableHandle<TfSavedModel> h = core.handle(req.getModelSpec())) {
      version = h.id().version();
      String sig = req.getModelSpec().getSignatureName().isEmpty()
          ? TfSavedModel.DEFAULT_SIGNATURE : req.getModelSpec().getSignatureName();
      h.get().signature(sig);
      Map<String, TensorProto> out = predictor.predict(
          h, sig, req.getInputsMap(), req.getOutputFilterList(), timeoutMillis);
      PredictResponse resp = PredictResponse.newBuilder()
          .setModelSpec(spec(model, version, sig)).putAllOutputs(out).build();
      metrics.recordRequest(model, version, "predict", entry, "OK", System.nanoTime() - t0);
      return resp;
    } catch (ServingException e) {
      metrics.recordRequest(model, version, "predict", entry, e.code().name(), 0);
      throw e;
    }
  }

  public GetModelMetadataResponse metadata(GetModelMetadataRequest req,
      ServingMetrics.Entrypoint entry) throws ServingException {
    if (!req.hasModelSpec()) {
      throw ServingException.invalidArgument("Missing ModelSpec");
    }
    if (req.getMetadataFieldCount() == 0) {
      throw ServingException.invalidArgument(
          "GetModelMetadataRequest must specify at least one metadata_field");
    }
    for (String f : req.getMetadataFieldList()) {
      if (!SIGNATURE_DEF.equals(f)) {
        throw ServingException.invalidArgument("Metadata field " + f + " is not supported");
      }
    }
    String model = req.getModelSpec().getName();
    try (ServableHandle<TfSavedModel> h = core.handle(req.getModelSpec())) {
      Map<String, SignatureDef> sigs = h.get().signatures();
      GetModelMetadataResponse resp = GetModelMetadataResponse.newBuilder()
          .setModelSpec(spec(model, h.id().version(), ""))
          .putMetadata(SIGNATURE_DEF, Any.pack(SignatureDefMap.newBuilder()
              .putAllSignatureDef(sigs).build(), "type.googleapis.com"))
          .build();
      metrics.recordRequest(model, h.id().version(), "metadata", entry, "OK", 0);
      return resp;
    }
  }

  public GetModelStatusResponse status(GetModelStatusRequest req) throws ServingException {
    if (!req.hasModelSpec()) {
      throw ServingException.invalidArgument("Missing ModelSpec");
    }
    GetModelStatusResponse.Builder b = GetModelStatusResponse.newBuilder();
    for (VersionStatus v : core.status(req.getModelSpec())) {
      b.addModelVersionStatus(ModelVersionStatus.newBuilder()
          .setVersion(v.id().version())
          .setStateValue(v.state().protoValue())
          .setStatus(StatusProto.newBuilder()
              .setErrorCodeValue(v.code().value())
              .setErrorMessage(v.code() == Code.OK ? "" : v.message())));
    }
    return b.build();
  }

  static ModelSpec spec(String name, long version, String signature) {
    return ModelSpec.newBuilder().setName(name).setVersion(Int64Value.of(version))
        .setSignatureName(signature).build();
  }
}
