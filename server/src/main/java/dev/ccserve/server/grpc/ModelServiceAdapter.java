package dev.ccserve.server.grpc;

import dev.ccserve.server.ServingApi;
import dev.ccserve.server.config.ModelServerConfigs;
import dev.ccserve.server.core.ServingException;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.GetModelStatusResponse;
import tensorflow.serving.ModelManagement.ReloadConfigRequest;
import tensorflow.serving.ModelManagement.ReloadConfigResponse;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.Status.StatusProto;

/**
 * {@code tensorflow.serving.ModelService}: GetModelStatus and HandleReloadConfigRequest. A reload
 * replaces the whole config and blocks until new models are AVAILABLE; its status is returned both
 * in the message and as the gRPC status, as TF Serving does.
 */
public final class ModelServiceAdapter extends ModelServiceGrpc.ModelServiceImplBase {
  private final ServingApi api;

  public ModelServiceAdapter(ServingApi api) {
    this.api = api;
  }

  @Override
  public void getModelStatus(GetModelStatusRequest request,
      StreamObserver<GetModelStatusResponse> obs) {
    try {
      obs.onNext(api.status(request));
      obs.onCompleted();
    } catch (Exception | Error e) {
      obs.onError(GrpcErrors.toStatus(e));
    }
  }

  @Override
  public void handleReloadConfigRequest(ReloadConfigRequest request,
      StreamObserver<ReloadConfigResponse> obs) {
    try {
      api.core().applyConfig(ModelServerConfigs.toModelConfigs(request.getConfig()));
      obs.onNext(ReloadConfigResponse.newBuilder().setStatus(StatusProto.newBuilder()).build());
      obs.onCompleted();
    } catch (ServingException e) {
      obs.onError(Status.fromCodeValue(e.code().value()).withDescription(e.getMessage())
          .asRuntimeException());
    } catch (Exception | Error e) {
      obs.onError(GrpcErrors.toStatus(e));
    }
  }
}
