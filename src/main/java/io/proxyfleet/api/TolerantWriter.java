package io.proxyfleet.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsonFormatVisitors.JsonFormatVisitorWrapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import java.io.IOException;
import java.util.List;

/**
 * Writes a spec with the values {@link TolerantReader} could not read put back where they were, so
 * that writing and reading again (JOSDK's clone of each object, a write-back) gives the same spec
 * with the same marks, and the user's value is never silently replaced by a default.
 */
public final class TolerantWriter extends StdSerializer<TolerantSpec> {

  /** Only turns tokens into trees; no type configuration is involved. */
  private static final ObjectMapper TREES = new ObjectMapper();

  public TolerantWriter() {
    super(TolerantSpec.class);
  }

  @Override
  public void serialize(TolerantSpec spec, JsonGenerator gen, SerializerProvider provider)
      throws IOException {
    List<TolerantSpec.Removed> removed = spec.removed();
    if (removed.isEmpty()) {
      provider.defaultSerializeValue(spec, gen);
      return;
    }
    // Serialized with the provider's own settings, then read as a plain tree to put the values
    // back.
    TokenBuffer buffer = new TokenBuffer(gen.getCodec(), false);
    provider.defaultSerializeValue(spec, buffer);
    JsonNode tree;
    try (JsonParser parser = buffer.asParser(TREES)) {
      tree = TREES.readTree(parser);
    }
    // Reverse removal order: each removal's indexes were taken after the removals before it.
    for (int i = removed.size() - 1; i >= 0; i--) {
      tree = restore(tree, removed.get(i));
    }
    gen.writeTree(tree);
  }

  /**
   * The schema is the spec class's own: the CRD generator walks serializers, and this one writes
   * exactly what the bean serializer writes for a clean spec.
   */
  @Override
  public void acceptJsonFormatVisitor(JsonFormatVisitorWrapper visitor, JavaType typeHint)
      throws JsonMappingException {
    visitor.getProvider().findValueSerializer(typeHint).acceptJsonFormatVisitor(visitor, typeHint);
  }

  private static JsonNode restore(JsonNode tree, TolerantSpec.Removed r) {
    List<Object> steps = r.steps();
    if (steps.isEmpty()) {
      return r.raw();
    }
    JsonNode node = tree;
    for (int i = 0; i < steps.size() - 1; i++) {
      Object step = steps.get(i);
      JsonNode next = step instanceof Integer idx ? node.get(idx) : node.get((String) step);
      if (next == null || next.isNull()) {
        if (!(node instanceof ObjectNode o) || !(step instanceof String name)) {
          return tree;
        }
        next = o.putObject(name);
      }
      node = next;
    }
    Object last = steps.get(steps.size() - 1);
    if (node instanceof ObjectNode o && last instanceof String name) {
      o.set(name, r.raw());
    } else if (node instanceof ArrayNode a && last instanceof Integer idx && idx <= a.size()) {
      a.insert(idx, r.raw());
    }
    return tree;
  }
}
