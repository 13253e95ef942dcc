package dev.ccserve.server.rest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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

  /** A predict body as read from the stream: instances are maps (named inputs) or bare values. */
  private static final class Body {
    String signature = TfSavedModel.DEFAULT_SIGNATURE;
    boolean hasInstances;
    boolean hasInputs;
    List<Object> instances;
    Object inputs;
  }

  private String predict(ModelSpec specIn, byte[] body) throws ServingException {
    Body b = parseBody(body);
    if (b.hasInstances && b.hasInputs) {
      throw ServingException.invalidArgument("Not formatted correctly expecting only one of "
          + "'inputs' or 'instances' keys exists");
    }
    if (!b.hasInstances && !b.hasInputs) {
      throw ServingException.invalidArgument("Missing 'inputs' or 'instances' key");
    }
    ModelSpec spec = specIn.toBuilder().setSignatureName(b.signature).build();
    SignatureDef sd;
    try (ServableHandle<TfSavedModel> h = api.core().handle(spec)) {
      try {
        sd = h.get().signature(b.signature);
      } catch (ServingException e) {
        throw ServingException.invalidArgument(
            "Serving signature name: \"" + b.signature + "\" not found in signature def");
      }
      // Pin the version resolved now, so the predict below runs on the same signature.
      spec = spec.toBuilder().setVersion(Int64Value.of(h.id().version())).build();
    }
    Map<String, TensorProto> inputs = b.hasInstances
        ? rowInputs(b.instances, sd) : columnarInputs(b.inputs, sd);
    PredictResponse resp = api.predict(PredictRequest.newBuilder().setModelSpec(spec)
        .putAllInputs(inputs).build(), timeoutMillis, Entrypoint.REST);
    return b.hasInstances ? rowOutput(resp) : columnarOutput(resp);
  }

  /**
   * Reads the body by streaming: tensor values go into primitive arrays ({@link StreamedValue}),
   * not a tree node per element, since a single 224x224x3 image is 150,528 numbers.
   */
  private static Body parseBody(byte[] body) throws ServingException {
    Body b = new Body();
    try (JsonParser p = JSON.getFactory().createParser(body)) {
      JsonToken t = p.nextToken();
      if (t != JsonToken.START_OBJECT) {
        String text = new String(body, 0, Math.min(body.length, 64),
            java.nio.charset.StandardCharsets.UTF_8).strip();
        throw ServingException.invalidArgument("JSON Value: " + text + " Is not an object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken vt = p.nextToken();
        switch (field) {
          case "signature_name" -> {
            if (vt != JsonToken.VALUE_STRING) {
              throw ServingException.invalidArgument(
                  "'signature_name' key must be a string value.");
            }
            b.signature = p.getText();
          }
          case "instances" -> {
            b.hasInstances = true;
            b.instances = readInstances(p);
          }
          case "inputs" -> {
            b.hasInputs = true;
            b.inputs = readNamedOrBare("inputs", p);
          }
          default -> p.skipChildren();
        }
      }
      if (p.nextToken() != null) {
        throw ServingException.invalidArgument("JSON Parse error: trailing data after the object");
      }
    } catch (IOException e) {
      throw ServingException.invalidArgument("JSON Parse error: " + firstLine(e.getMessage()));
    }
    return b;
  }

  private static List<Object> readInstances(JsonParser p) throws IOException, ServingException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw ServingException.invalidArgument("Expecting 'instances' to be an non-empty list");
    }
    List<Object> out = new ArrayList<>();
    while (p.nextToken() != JsonToken.END_ARRAY) {
      out.add(readNamedOrBare("instance " + out.size(), p));
    }
    return out;
  }

  /** An object of named values (a map), a {"b64": …} leaf, or a bare value. */
  private static Object readNamedOrBare(String what, JsonParser p)
      throws IOException, ServingException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      return StreamedValue.read(what, p);
    }
    Map<String, StreamedValue> named = new LinkedHashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      p.nextToken();
      if (named.containsKey(name)) {
        throw ServingException.invalidArgument(what + " names input '" + name + "' twice");
      }
      named.put(name, StreamedValue.read(name, p));
    }
    StreamedValue only = named.size() == 1 ? named.get("b64") : null;
    if (only != null && only.size == 1 && only.shape().length == 0
        && only.kinds[0] == StreamedValue.STRING) {
      return StreamedValue.ofB64(what, only.strings.get(0));
    }
    return named;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, TensorProto> rowInputs(List<Object> instances, SignatureDef sd)
      throws ServingException {
    if (instances.isEmpty()) {
      throw ServingException.invalidArgument("Expecting 'instances' to be an non-empty list");
    }
    Map<String, TensorProto> out = new LinkedHashMap<>();
    boolean objects = instances.get(0) instanceof Map;
    if (!objects) {
      if (sd.getInputsCount() != 1) {
        throw ServingException.invalidArgument("Expecting each instance to be an object with "
            + "the inputs " + sd.getInputsMap().keySet() + "; found a bare value, which only a "
            + "single-input signature accepts");
      }
      Map.Entry<String, TensorInfo> only = sd.getInputsMap().entrySet().iterator().next();
      List<StreamedValue> vals = new ArrayList<>();
      for (int i = 0; i < instances.size(); i++) {
        if (!(instances.get(i) instanceof StreamedValue v)) {
          throw ServingException.invalidArgument("instance " + i + " is an object, but instance "
              + "0 is a bare value; use one form for all instances");
        }
        vals.add(v);
      }
      out.put(only.getKey(), JsonTensors.toProto(only.getKey(), vals, true,
          only.getValue().getDtype()));
      return out;
    }
    for (int i = 0; i < instances.size(); i++) {
      if (!(instances.get(i) instanceof Map<?, ?> m)) {
        throw ServingException.invalidArgument("instance " + i + " lacks input '"
            + sd.getInputsMap().keySet().iterator().next() + "'; every instance must be an "
            + "object with all of " + sd.getInputsMap().keySet());
      }
      for (Object f : m.keySet()) {
        if (!sd.getInputsMap().containsKey(f)) {
          throw ServingException.invalidArgument("instance has input '" + f
              + "', which is not in the signature's inputs " + sd.getInputsMap().keySet());
        }
      }
    }
    for (Map.Entry<String, TensorInfo> in : sd.getInputsMap().entrySet()) {
      List<StreamedValue> vals = new ArrayList<>();
      for (int i = 0; i < instances.size(); i++) {
        StreamedValue v = ((Map<String, StreamedValue>) instances.get(i)).get(in.getKey());
        if (v == null) {
          throw ServingException.invalidArgument("instance " + i + " lacks input '"
              + in.getKey() + "'; every instance must be an object with all of "
              + sd.getInputsMap().keySet());
        }
        vals.add(v);
      }
      out.put(in.getKey(), JsonTensors.toProto(in.getKey(), vals, true, in.getValue().getDtype()));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, TensorProto> columnarInputs(Object inputs, SignatureDef sd)
      throws ServingException {
    Map<String, TensorProto> out = new LinkedHashMap<>();
    if (inputs instanceof StreamedValue bare) {
      if (sd.getInputsCount() != 1) {
        throw ServingException.invalidArgument("'inputs' must be an object keyed by the "
            + "signature's inputs " + sd.getInputsMap().keySet());
      }
      Map.Entry<String, TensorInfo> only = sd.getInputsMap().entrySet().iterator().next();
      out.put(only.getKey(), JsonTensors.toProto(only.getKey(), List.of(bare), false,
          only.getValue().getDtype()));
      return out;
    }
    for (Map.Entry<String, StreamedValue> e : ((Map<String, StreamedValue>) inputs).entrySet()) {
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

}
