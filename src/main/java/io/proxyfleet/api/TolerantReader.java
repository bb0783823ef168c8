package io.proxyfleet.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;

/**
 * Reads a spec so that one bad value can never fail the read of its object.
 *
 * <p>Informers deserialize every object of a kind with one mapper; when one object does not fit the
 * Java classes (a string where an int belongs, a number beyond an int's range, a scalar where a
 * list belongs) the informer stops and JOSDK stops the whole operator. The real API server rejects
 * most such values through the schema, but the embedded API does not validate, and older CRDs or
 * values the schema cannot bound still get through. This reader parses the spec into a tree, reads
 * it strictly, and on failure removes the offending field, remembers it as an {@link
 * UnreadableField} and tries again; the validators then report those fields as an invalid spec on
 * that object only.
 */
public abstract class TolerantReader<T extends TolerantSpec> extends StdDeserializer<T> {

  /**
   * Enough to name every bad field a person writes; a generated object with more is named in part.
   */
  static final int MAX_UNREADABLE_FIELDS = 16;

  /** Values are quoted in conditions and events: keep them short. */
  static final int MAX_QUOTED_CHARS = 60;

  private final Class<T> type;
  private final String root;

  protected TolerantReader(Class<T> type, String root) {
    super(type);
    this.type = type;
    this.root = root;
  }

  @Override
  public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
    JsonNode tree = ctxt.readTree(p);
    List<UnreadableField> unreadable = new ArrayList<>();
    List<TolerantSpec.Removed> removed = new ArrayList<>();
    while (tree.isObject() && unreadable.size() < MAX_UNREADABLE_FIELDS) {
      try {
        T value = ctxt.readTreeAsValue(tree, type);
        value.markUnreadable(unreadable, removed);
        return value;
      } catch (JsonProcessingException e) {
        List<Object> path = pathOf(e);
        JsonNode bad = at(tree, path);
        unreadable.add(new UnreadableField(render(path), describe(bad, e)));
        if (path.isEmpty() || !remove(tree, path)) {
          break;
        }
        removed.add(new TolerantSpec.Removed(List.copyOf(path), bad));
      }
    }
    if (!tree.isObject()) {
      unreadable.add(new UnreadableField(root, "'" + quote(tree) + "' is not an object"));
    }
    // Nothing readable is left: an empty spec, marked, so the object is reported instead of
    // dropped.
    // The whole raw tree replaces it when written back.
    T empty = newInstance();
    empty.markUnreadable(unreadable, List.of(new TolerantSpec.Removed(List.of(), tree)));
    return empty;
  }

  private T newInstance() {
    try {
      return type.getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(type + " needs a public no-argument constructor", e);
    }
  }

  /** Field names and array indexes from the spec down to the value that failed. */
  static List<Object> pathOf(JsonProcessingException e) {
    List<Object> path = new ArrayList<>();
    if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
      for (JsonMappingException.Reference r : m.getPath()) {
        path.add(r.getFieldName() != null ? r.getFieldName() : (Object) r.getIndex());
      }
      return path;
    }
    // Coercion errors (a number beyond an int) come from the parser and carry no reference path;
    // the parser's context still points at the value.
    if (e.getProcessor() instanceof JsonParser parser) {
      Deque<Object> reversed = new ArrayDeque<>();
      for (JsonStreamContext c = parser.getParsingContext();
          c != null && !c.inRoot();
          c = c.getParent()) {
        if (c.inObject() && c.getCurrentName() != null) {
          reversed.push(c.getCurrentName());
        } else if (c.inArray()) {
          reversed.push(Math.max(0, c.getCurrentIndex()));
        }
      }
      path.addAll(reversed);
    }
    return path;
  }

  private String render(List<Object> path) {
    StringBuilder s = new StringBuilder(root);
    for (Object step : path) {
      if (step instanceof Integer i) {
        s.append('[').append(i).append(']');
      } else {
        s.append('.').append(step);
      }
    }
    return s.toString();
  }

  static JsonNode at(JsonNode tree, List<Object> path) {
    JsonNode node = tree;
    for (Object step : path) {
      if (node == null) return null;
      node = step instanceof Integer i ? node.get(i) : node.get((String) step);
    }
    return node;
  }

  private static boolean remove(JsonNode tree, List<Object> path) {
    JsonNode parent = at(tree, path.subList(0, path.size() - 1));
    Object last = path.get(path.size() - 1);
    if (parent instanceof ObjectNode o && last instanceof String name && o.has(name)) {
      o.remove(name);
      return true;
    }
    if (parent instanceof ArrayNode a && last instanceof Integer i && i < a.size()) {
      a.remove(i);
      return true;
    }
    return false;
  }

  private static String describe(JsonNode bad, JsonProcessingException e) {
    Class<?> target =
        e instanceof MismatchedInputException m
            ? m.getTargetType()
            : e instanceof InputCoercionException c ? c.getTargetType() : null;
    if (e instanceof com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException) {
      return "is not a field of this kind (a typo, or a field of a newer version)";
    }
    String quoted = bad == null ? "the value" : "'" + quote(bad) + "'";
    if (bad != null
        && bad.isIntegralNumber()
        && !bad.canConvertToInt()
        && target != Long.class
        && target != long.class) {
      // Every int-typed field fails this way, whatever deserializer the field type has.
      return quoted
          + " is out of the integer range "
          + Integer.MIN_VALUE
          + " to "
          + Integer.MAX_VALUE;
    }
    return quoted + " is not " + expected(target);
  }

  private static String expected(Class<?> target) {
    if (target == null) return "of the type this field has";
    if (target == Integer.class || target == int.class)
      return "an integer from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE;
    if (target == Long.class || target == long.class)
      return "an integer from " + Long.MIN_VALUE + " to " + Long.MAX_VALUE;
    if (target == String.class) return "a string";
    if (target == Boolean.class || target == boolean.class) return "true or false";
    if (target == IntOrString.class) return "an integer or a string";
    if (Collection.class.isAssignableFrom(target)) return "a list";
    return "an object";
  }

  static String quote(JsonNode node) {
    String text = node.isTextual() ? node.textValue() : node.toString();
    return text.length() <= MAX_QUOTED_CHARS ? text : text.substring(0, MAX_QUOTED_CHARS) + "…";
  }
}
