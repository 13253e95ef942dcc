package dev.ccserve.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.crypto.tls.ClientTls;
import java.util.SplittableRandom;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;

/** The gRPC and REST {@link PredictConnection}s, each preparing its request once. */
final class Connections {
  private Connections() {}

  static PredictConnection.Factory factory(LoadOptions o, ClientTls tls) {
    // decode the image once, now, so that a bad file fails before any connection is opened
    TensorProto image = o.image() == null ? null : ResnetInputs.fromImage(o.image(), o.batch());
    return task -> {
      TensorProto tensor = image != null ? image : ResnetInputs.random(o.batch(), new SplittableRandom());
      return o.rest() ? rest(o, tls, tensor) : grpc(o, tls, tensor);
    };
  }

  private static PredictConnection grpc(LoadOptions o, ClientTls tls, TensorProto tensor) {
    PredictRequest request = PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName(o.model()).setSignatureName(o.signature()))
        .putInputs(o.input(), tensor)
        .build();
    PredictClient client = PredictClient.builder(o.target()).tls(tls)
        .serverName(o.tls().serverName()).deadline(o.deadline()).build();
    return new PredictConnection() {
      @Override
      public Object send() {
        return client.predict(request);
      }

      @Override
      public void close() {
        client.close();
      }
    };
  }

  private static PredictConnection rest(LoadOptions o, ClientTls tls, TensorProto tensor) {
    String body = RestPredictClient.predictBody(o.signature(), o.input(), tensor);
    RestPredictClient client = RestPredictClient.create(o.effectiveRestTarget(), tls, o.deadline());
    return new PredictConnection() {
      @Override
      public JsonNode send() {
        return client.predict(o.model(), body);
      }

      @Override
      public void close() {
        client.close();
      }
    };
  }
}
