package dev.ccserve.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Int64Value;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import dev.ccserve.crypto.tls.ServerTls;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSession;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.GetModelStatusResponse;
import tensorflow.serving.GetModelStatus.ModelVersionStatus;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionServiceGrpc;

/**
 * Test servers speaking TF Serving's API over real sockets: a gRPC server (Netty, TLS from
 * {@link ServerTls} exactly as the model server will wire it) and a JDK HTTPS REST server. The fake
 * model checks the seed's input shape and answers [batch, 1001] scores whose top class is the
 * input's mean pixel value (so image tests can check a known top-1).
 */
final class FakeServers {
  static final String MODEL = "resnet50-v15-fp32";

  private FakeServers() {}

  /** What the fake saw: request count and the last client certificate subject (or "none"). */
  static final class Seen {
    final AtomicInteger requests = new AtomicInteger();
    final AtomicReference<String> clientSubject = new AtomicReference<>("none");
  }

  static ServerCredentials credentials(ServerTls tls) {
    if (tls == null) {
      return InsecureServerCredentials.create();
    }
    TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(tls.keyManager());
    tls.trustManager().ifPresent(b::trustManager);
    b.clientAuth(TlsServerCredentials.ClientAuth.valueOf(tls.clientAuth().name()));
    return b.build();
  }

  static Server grpc(ServerTls tls, Seen seen) throws IOException {
    ServerInterceptor peer = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata h, ServerCallHandler<Q, R> next) {
        SSLSession s = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        try {
          if (s != null) {
            seen.clientSubject.set(((X509Certificate) s.getPeerCertificates()[0]).getSubjectX500Principal().getName());
          }
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
          seen.clientSubject.set("none");
        }
        return next.startCall(call, h);
      }
    };
    return Grpc.newServerBuilderForPort(0, credentials(tls))
        .maxInboundMessageSize(64 << 20)
        .addService(io.grpc.ServerInterceptors.intercept(new Predictor(seen), peer))
        .addService(new Models())
        .build().start();
  }

  static final class Predictor extends PredictionServiceGrpc.PredictionServiceImplBase {
    private final Seen seen;

    Predictor(Seen seen) {
      this.seen = seen;
    }

    @Override
    public void predict(PredictRequest req, StreamObserver<PredictResponse> obs) {
      seen.requests.incrementAndGet();
      TensorProto in = req.getInputsMap().get("input");
      if (!req.getModelSpec().getName().equals(MODEL) || !req.getModelSpec().getSignatureName().equals("serving_default")) {
        obs.onError(Status.NOT_FOUND.withDescription("no model " + req.getModelSpec().getName()).asRuntimeException());
        return;
      }
      if (in == null || in.getDtype() != DataType.DT_FLOAT || in.getTensorShape().getDimCount() != 4
          || in.getTensorShape().getDim(1).getSize() != 224 || in.getTensorShape().getDim(3).getSize() != 3) {
        obs.onError(Status.INVALID_ARGUMENT.withDescription("expected input [b,224,224,3] DT_FLOAT").asRuntimeException());
        return;
      }
      int batch = (int) in.getTensorShape().getDim(0).getSize();
      if (in.getTensorContent().size() != batch * ResnetInputs.VALUES_PER_IMAGE * 4) {
        obs.onError(Status.INVALID_ARGUMENT.withDescription("tensor_content size").asRuntimeException());
        return;
      }
      FloatBuffer fb = in.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      float[] first = new float[ResnetInputs.VALUES_PER_IMAGE];
      fb.get(first);
      obs.onNext(PredictResponse.newBuilder()
          .putOutputs("predict", scores(batch, first))
          .setModelSpec(ModelSpec.newBuilder().setName(MODEL).setVersion(Int64Value.of(1)).setSignatureName("serving_default"))
          .build());
      obs.onCompleted();
    }
  }

  static int topClass(float[] image) {
    double sum = 0;
    for (float v : image) {
      sum += v;
    }
    return 1 + (int) (sum / image.length);
  }

  static TensorProto scores(int batch, float[] firstImage) {
    int top = topClass(firstImage);
    TensorProto.Builder t = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(TensorShapeProto.newBuilder()
        .addDim(TensorShapeProto.Dim.newBuilder().setSize(batch)).addDim(TensorShapeProto.Dim.newBuilder().setSize(1001)));
    for (int b = 0; b < batch; b++) {
      for (int i = 0; i < 1001; i++) {
        t.addFloatVal(i == top ? 0.9f : i == top + 1 ? 0.05f : 0.00005f);
      }
    }
    return t.build();
  }

  static final class Models extends ModelServiceGrpc.ModelServiceImplBase {
    @Override
    public void getModelStatus(GetModelStatusRequest req, StreamObserver<GetModelStatusResponse> obs) {
      obs.onNext(GetModelStatusResponse.newBuilder().addModelVersionStatus(
          ModelVersionStatus.newBuilder().setVersion(1).setState(ModelVersionStatus.State.AVAILABLE)).build());
      obs.onCompleted();
    }
  }

  /** A REST server on loopback: POST /v1/models/{MODEL}:predict with {"inputs":{"input":[...]}}. */
  static HttpsServer rest(ServerTls tls, Seen seen) throws IOException {
    HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls.sslContext()) {
      @Override
      public void configure(HttpsParameters params) {
        params.setSSLParameters(tls.sslParameters());
      }
    });
    ObjectMapper json = new ObjectMapper();
    server.createContext("/v1/models/" + MODEL + ":predict", ex -> {
      seen.requests.incrementAndGet();
      JsonNode body = json.readTree(ex.getRequestBody());
      JsonNode input = body.path("inputs").path("input");
      int batch = input.size();
      float[] first = new float[ResnetInputs.VALUES_PER_IMAGE];
      int k = 0;
      for (JsonNode row : input.get(0)) {
        for (JsonNode px : row) {
          for (JsonNode c : px) {
            first[k++] = (float) c.asDouble();
          }
        }
      }
      byte[] resp;
      int status;
      if (k != first.length || !"serving_default".equals(body.path("signature_name").asText())) {
        status = 400;
        resp = "{\"error\": \"expected input [b,224,224,3]\"}".getBytes();
      } else {
        status = 200;
        StringBuilder sb = new StringBuilder("{\"outputs\": [");
        TensorProto t = scores(batch, first);
        for (int b = 0; b < batch; b++) {
          sb.append(b > 0 ? "," : "").append('[');
          for (int i = 0; i < 1001; i++) {
            sb.append(i > 0 ? "," : "").append(t.getFloatVal(b * 1001 + i));
          }
          sb.append(']');
        }
        resp = sb.append("]}").toString().getBytes();
      }
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(status, resp.length);
      ex.getResponseBody().write(resp);
      ex.close();
    });
    server.start();
    return server;
  }
}
