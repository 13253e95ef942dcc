package dev.ccserve.attestation.dcap;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.TcbStatus;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Strict field access on collateral JSON; every problem is MALFORMED at the given step. */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private final String step;

  Json(String step) {
    this.step = step;
  }

  JsonNode parse(String text) throws AttestationException {
    try {
      JsonNode n = MAPPER.readTree(text);
      if (n == null || !n.isObject()) {
        throw fail("expected a JSON object");
      }
      return n;
    } catch (AttestationException e) {
      throw e;
    } catch (Exception e) {
      throw fail("invalid JSON (" + e.getClass().getSimpleName() + ")");
    }
  }

  AttestationException fail(String message) {
    return new AttestationException(Reason.MALFORMED, step, message);
  }

  JsonNode node(JsonNode n, String key) throws AttestationException {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      throw fail("expected field \"" + key + "\", found none");
    }
    return v;
  }

  String text(JsonNode n, String key) throws AttestationException {
    JsonNode v = node(n, key);
    if (!v.isTextual()) {
      throw fail("expected \"" + key + "\" to be a string, found " + v.getNodeType());
    }
    return v.textValue();
  }

  int integer(JsonNode n, String key) throws AttestationException {
    JsonNode v = node(n, key);
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
      throw fail("expected \"" + key + "\" to be a non-negative integer, found " + v.getNodeType());
    }
    return v.intValue();
  }

  byte[] hex(JsonNode n, String key) throws AttestationException {
    String s = text(n, key);
    try {
      return HexFormat.of().parseHex(s);
    } catch (IllegalArgumentException e) {
      throw fail("expected \"" + key + "\" to be hex");
    }
  }

  Instant instant(JsonNode n, String key) throws AttestationException {
    String s = text(n, key);
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      throw fail("expected \"" + key + "\" to be an ISO-8601 instant, found \"" + abbreviate(s) + "\"");
    }
  }

  JsonNode array(JsonNode n, String key) throws AttestationException {
    JsonNode v = node(n, key);
    if (!v.isArray()) {
      throw fail("expected \"" + key + "\" to be an array, found " + v.getNodeType());
    }
    return v;
  }

  TcbStatus status(JsonNode n) throws AttestationException {
    String s = text(n, "tcbStatus");
    return TcbStatus.parse(s).orElseThrow(() -> fail("unknown tcbStatus \"" + abbreviate(s) + "\""));
  }

  List<String> advisories(JsonNode n) throws AttestationException {
    List<String> out = new ArrayList<>();
    JsonNode a = n.get("advisoryIDs");
    if (a == null) {
      return out;
    }
    if (!a.isArray()) {
      throw fail("expected advisoryIDs to be an array");
    }
    for (JsonNode id : a) {
      if (!id.isTextual()) {
        throw fail("expected advisory IDs to be strings");
      }
      out.add(id.textValue());
    }
    return out;
  }

  static String abbreviate(String s) {
    return s.length() > 60 ? s.substring(0, 57) + "..." : s;
  }

  /**
   * Returns the exact text of the object value of top-level {@code key} in {@code json}, as needed
   * to verify PCS signatures over "the tcbInfo object as received".
   */
  String rawObject(String json, String key) throws AttestationException {
    try (JsonParser p = MAPPER.getFactory().createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw fail("expected a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        if (name.equals(key) && t == JsonToken.START_OBJECT) {
          int start = (int) p.currentTokenLocation().getCharOffset();
          p.skipChildren();
          int end = (int) p.currentLocation().getCharOffset();
          return json.substring(start, end);
        }
        p.skipChildren();
      }
      throw fail("expected object field \"" + key + "\", found none");
    } catch (AttestationException e) {
      throw e;
    } catch (Exception e) {
      throw fail("invalid JSON (" + e.getClass().getSimpleName() + ")");
    }
  }
}
