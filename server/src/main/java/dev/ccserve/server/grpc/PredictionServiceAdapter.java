package dev.ccserve.server.grpc;

import dev.ccserve.server.ServingApi;
import dev.ccserve.server.metrics.ServingMetrics.Entrypoint;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.TimeUnit;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.Classification.ClassificationResponse;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.Inference.MultiInferenceRequest;
import tensorflow.serving.Inference.MultiInferenceResponse;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionServiceGrpc;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;
import tensorflow.serving.RegressionOuterClass.RegressionResponse;

/**
 * {@code tensorflow.serving.PredictionService} over gRPC: a stateless adapter onto
 * {@link ServingApi}. The call deadline becomes the TensorFlow run timeout. Classify, Regress and
 * MultiInference answer UNIMPLEMENTED with a message saying what to use instead.
 */
public final class PredictionServiceAdapter extends PredictionServiceGrpc.PredictionServiceImplBase {
  private final ServingApi api;

  public PredictionServiceAdapter(ServingApi api) {
    this.api = api;
  }

  static long timeoutMillis() {
    Deadline d = Context.current().getDeadline();
    return d == null ? 0 : Math.max(1, d.timeRemaining(TimeUnit.MILLISECONDS));
  }

  @Override
  public void predict(PredictRequest request, StreamObserver<PredictResponse> obs) {
    try {
      obs.onNext(api.predict(request, timeoutMillis(), Entrypoint.GRPC));
      obs.onCompleted();
    } catch (Exception | Error e) {
      obs.onError(GrpcErrors.toStatus(e));
    }
  }

  @Override
  public void getModelMetadata(GetModelMetadataRequest request,
      StreamObserver<GetModelMetadataResponse> obs) {
    try {
      obs.onNext(api.metadata(request, Entrypoint.GRPC));
      obs.onCompleted();
    } catch (Exception | Error e) {
      obs.onError(GrpcErrors.toStatus(e));
    }
  }

  @Override
  public void classify(ClassificationRequest request, StreamObserver<ClassificationResponse> obs) {
    obs.onError(unimplemented("Classify"));
  }

  @Override
  public void regress(RegressionRequest request, StreamObserver<RegressionResponse> obs) {
    obs.onError(unimplemented("Regress"));
  }

  @Override
  public void multiInference(MultiInferenceRequest request,
      StreamObserver<MultiInferenceResponse> obs) {
    obs.onError(unimplemented("MultiInference"));
  }

  private static io.grpc.StatusRuntimeException unimplemented(String rpc) {
    return Status.UNIMPLEMENTED.withDescription(rpc + " is not implemented by ccserve: it serves "
        + "SavedModel signatures through Predict (method tensorflow/serving/predict); call "
        + "Predict with the signature's input aliases instead").asRuntimeException();
  }
}
