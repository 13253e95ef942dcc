package dev.ccserve.server.rest;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Int64Value;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.ccserve.api.tf.SignatureDef;
import dev.ccserve.api.tf.TensorInfo;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.server.ServingApi;
import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServableHandle;
import dev.ccserve.server.core.ServingException;
import dev.ccserve.server.metrics.ServingMetrics.Entrypoint;
import dev.ccserve.server.runtime.TfSavedModel;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.GetModelMetadata.SignatureDefMap;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;

/**
 * TF Serving's REST API as a pure function from (method, path, body) to (status, JSON body):
 * routing, row and columnar predict bodies, status and metadata JSON, and {@code {"error": …}}
 * bodies with TF Serving's status-code table. Transport-free, so tests drive it directly and the
 * HTTP server stays a thin shell. Thread-safe.
 */
public final class RestHandler {
  private static final Pattern PREDICT = Pattern.compile(
      "(?i)/v1/models/([^/:]+)(?:(?:/versions/(\\d+))|(?:/labels/([^/:]+)))?:(classify|regress|predict)");
  private static final Pattern MODEL = Pattern.compile(
      "(?i)/v1/models(?:/([^/:]+))?(?:(?:/versions/(\\d+))|(?:/labels/([^/:]+)))?(?:/(metadata))?");
  static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
  private static final JsonFormat.Printer PROTO_JSON =
      JsonFormat.printer().preservingProtoFieldNames().alwaysPrintFieldsWithNoPresence();

  /** A response: HTTP status and JSON text. */
  public record Response(int status, String body) {}

  private final ServingApi api;
  private final long timeoutMillis;

  public RestHandler(ServingApi api, long timeoutMillis) {
    this.api = api;
    this.timeoutMillis = timeoutMillis;
  }

  public Response handle(String method, String path, byte[] body) {
    try {
      Matcher p = PREDICT.matcher(path);
      if ("POST".equals(method) && p.matches()) {
        ModelSpec spec = spec(p.group(1), p.group(2), p.group(3));
        String verb = p.group(4).toLowerCase();
        if (!"predict".equals(verb)) {
          throw new ServingException(Code.UNIMPLEMENTED, verb + " is not implemented by "
              + "ccserve; use :predict with the signature's input names");
        }
        return new Response(200, predict(spec, body));
      }
      Matcher m = MODEL.matcher(path);
      if ("GET".equals(method) && m.matches()) {
        if (m.group(1) == null) {
          throw ServingException.invalidArgument("Missing model name in request.");
        }
        ModelSpec spec = spec(m.group(1), m.group(2), m.group(3));
        return new Response(200, m.group(4) != null ? metadata(spec) : status(spec));
      }
      throw ServingException.invalidArgument("Malformed request: " + method + " " + path);
    } catch (ServingException e) {
      return error(HttpErrors.httpStatus(e.code()), e.getMessage());
    } catch (RuntimeException e) {
      return error(500, "internal error in ccserve; see the server log");
    }
  }

  static Response error(int status, String message) {
    ObjectNode o = JSON.createObjectNode();
    o.put("error", message);
    return new Response(status, o.toString());
  }

  private static ModelSpec spec(String name, String version, String label)
      throws ServingException {
    ModelSpec.Builder b = ModelSpec.newBuilder()
        .setName(URLDecoder.decode(name, StandardCharsets.UTF_8));
    if (version != null) {
      try {
        b.setVersion(Int64Value.of(Long.parseLong(version)));
      } catch (NumberFormatException e) {
        throw ServingException.invalidArgument("version " + version + " is not a valid int64");
      }
    } else if (label != null) {
      b.setVersionLabel(URLDecoder.decode(label, StandardCharsets.UTF_8));
    }
    return b.build();
  }

  private String status(ModelSpec spec) throws ServingException {
    return print(api.status(GetModelStatusRequest.newBuilder().setModelSpec(spec).build()));
  }

  private String metadata(ModelSpec spec) throws ServingException {
    GetModelMetadataResponse r = api.metadata(GetModelMetadataRequest.newBuilder()
        .setModelSpec(spec).addMetadataField("signature_def").build(), Entrypoint.REST);
    try {
      ObjectNode o = JSON.createObjectNode();
      o.set("model_spec", JSON.readTree(print(r.getModelSpec())));
      ObjectNode md = o.putObject("metadata");
      md.set("signature_def", JSON.readTree(print(
          r.getMetadataOrThrow("signature_def").unpack(SignatureDefMap.class))));
      return o.toString();
    } catch (IOException e) {
      throw new ServingException(Code.INTERNAL, "cannot render metadata JSON: " + e.getMessage());
    }
  }

  private static String print(com.google.protobuf.MessageOrBuilder m) throws ServingException {
    try {
      return PROTO_JSON.print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new ServingException(Code.INTERNAL, "cannot render JSON: " + e.getMessage());
    }
  }

  private String predict(ModelSpec specIn, byte[] body) throws ServingException {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException e) {
      throw ServingException.invalidArgument("JSON Parse error: " + firstLine(e.getMessage()));
    }
    if (root == null || !root.isObject()) {
      throw ServingException.invalidArgument("JSON Value: " + abbreviate(root)
          + " Is not an object");
    }
    String sig = TfSavedModel.DEFAULT_SIGNATURE;
    if (root.has("signature_name")) {
      if (!root.get("signature_name").isTextual()) {
        throw ServingException.invalidArgument("'signature_name' key must be a string value.");
      }
      sig = root.get("signature_name").textValue();
    }
    boolean hasInstances = root.has("instances");
    boolean hasInputs = root.has("inputs");
    if (hasInstances && hasInputs) {
      throw ServingException.invalidArgument("Not formatted correctly expecting only one of "
          + "'inputs' or 'instances' keys exists");
    }
    if (!hasInstances && !hasInputs) {
      throw ServingException.invalidArgument("Missing 'inputs' or 'instances' key");
    }
    ModelSpec spec = specIn.toBuilder().setSignatureName(sig).build();
    SignatureDef sd;
    try (ServableHandle<TfSavedModel> h = api.core().handle(spec)) {
      try {
        sd = h.get().signature(sig);
      } catch (ServingException e) {
        throw ServingException.invalidArgument(
            "Serving signature name: \"" + sig + "\" not found in signature def");
      }
      // Pin the version resolved now, so the predict below runs on the same signature.
      spec = spec.toBuilder().setVersion(Int64Value.of(h.id().version())).build();
    }
    Map<String, TensorProto> inputs = hasInstances
        ? rowInputs(root.get("instances"), sd) : columnarInputs(root.get("inputs"), sd);
    PredictResponse resp = api.predict(PredictRequest.newBuilder().setModelSpec(spec)
        .putAllInputs(inputs).build(), timeoutMillis, Entrypoint.REST);
    return hasInstances ? rowOutput(resp) : columnarOutput(resp);
  }

  private static Map<String, TensorProto> rowInputs(JsonNode instances, SignatureDef sd)
      throws ServingException {
    if (!instances.isArray() || instances.isEmpty()) {
      throw ServingException.invalidArgument("Expecting 'instances' to be an non-empty list");
    }
    Map<String, TensorProto> out = new LinkedHashMap<>();
    boolean objects = instances.get(0).isObject() && !instances.get(0).has("b64");
    if (!objects) {
      if (sd.getInputsCount() != 1) {
        throw ServingException.invalidArgument("Expecting each instance to be an object with "
            + "the inputs " + sd.getInputsMap().keySet() + "; found a bare value, which only a "
            + "single-input signature accepts");
      }
      Map.Entry<String, TensorInfo> only = sd.getInputsMap().entrySet().iterator().next();
      List<JsonNode> vals = new ArrayList<>();
      instances.forEach(vals::add);
      out.put(only.getKey(), JsonTensors.toProto(only.getKey(), vals, true,
          only.getValue().getDtype()));
      return out;
    }
    for (Map.Entry<String, TensorInfo> in : sd.getInputsMap().entrySet()) {
      List<JsonNode> vals = new ArrayList<>();
      int i = 0;
      for (JsonNode inst : instances) {
        if (!inst.isObject() || !inst.has(in.getKey())) {
          throw ServingException.invalidArgument("instance " + i + " lacks input '"
              + in.getKey() + "'; every instance must be an object with all of "
              + sd.getInputsMap().keySet());
        }
        vals.add(inst.get(in.getKey()));
        i++;
      }
      out.put(in.getKey(), JsonTensors.toProto(in.getKey(), vals, true, in.getValue().getDtype()));
    }
    for (JsonNode inst : instances) {
      for (Iterator<String> it = inst.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!sd.getInputsMap().containsKey(f)) {
          throw ServingException.invalidArgument("instance has input '" + f
              + "', which is not in the signature's inputs " + sd.getInputsMap().keySet());
        }
      }
    }
    return out;
  }

  private static Map<String, TensorProto> columnarInputs(JsonNode inputs, SignatureDef sd)
      throws ServingException {
    Map<String, TensorProto> out = new LinkedHashMap<>();
    boolean named = inputs.isObject() && !inputs.has("b64");
    if (!named) {
      if (sd.getInputsCount() != 1) {
        throw ServingException.invalidArgument("'inputs' must be an object keyed by the "
            + "signature's inputs " + sd.getInputsMap().keySet());
      }
      Map.Entry<String, TensorInfo> only = sd.getInputsMap().entrySet().iterator().next();
      out.put(only.getKey(), JsonTensors.toProto(only.getKey(), List.of(inputs), false,
          only.getValue().getDtype()));
      return out;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = inputs.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      TensorInfo ti = sd.getInputsMap().get(e.getKey());
      if (ti == null) {
        throw ServingException.invalidArgument("input '" + e.getKey()
            + "' is not in the signature's inputs " + sd.getInputsMap().keySet());
      }
      out.put(e.getKey(), JsonTensors.toProto(e.getKey(), List.of(e.getValue()), false,
          ti.getDtype()));
    }
    return out;
  }

  private static String rowOutput(PredictResponse resp) throws ServingException {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode preds = root.putArray("predictions");
    Map<String, List<JsonNode>> per = new LinkedHashMap<>();
    long batch = -1;
    for (Map.Entry<String, TensorProto> e : new java.util.TreeMap<>(resp.getOutputsMap()).entrySet()) {
      List<JsonNode> split = JsonTensors.toJson(e.getKey(), e.getValue(), true);
      if (batch >= 0 && split.size() != batch) {
        throw ServingException.invalidArgument("Tensor name: " + e.getKey()
            + " has inconsistent batch size: " + split.size() + " expecting: " + batch);
      }
      batch = split.size();
      per.put(e.getKey(), split);
    }
    if (per.size() == 1) {
      per.values().iterator().next().forEach(preds::add);
    } else {
      for (int i = 0; i < batch; i++) {
        ObjectNode o = preds.addObject();
        for (Map.Entry<String, List<JsonNode>> e : per.entrySet()) {
          o.set(e.getKey(), e.getValue().get(i));
        }
      }
    }
    return root.toString();
  }

  private static String columnarOutput(PredictResponse resp) throws ServingException {
    ObjectNode root = JSON.createObjectNode();
    if (resp.getOutputsCount() == 1) {
      Map.Entry<String, TensorProto> e = resp.getOutputsMap().entrySet().iterator().next();
      root.set("outputs", JsonTensors.toJson(e.getKey(), e.getValue(), false).get(0));
    } else {
      ObjectNode o = root.putObject("outputs");
      for (Map.Entry<String, TensorProto> e : new java.util.TreeMap<>(resp.getOutputsMap()).entrySet()) {
        o.set(e.getKey(), JsonTensors.toJson(e.getKey(), e.getValue(), false).get(0));
      }
    }
    return root.toString();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static String abbreviate(JsonNode n) {
    String s = String.valueOf(n);
    return s.length() > 64 ? s.substring(0, 64) + "…" : s;
  }
}
