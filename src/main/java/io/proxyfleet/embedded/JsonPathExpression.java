package io.proxyfleet.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * The subset of Kubernetes JSONPath that CRD printer columns use: {@code .a.b}, {@code ['a.b']},
 * {@code [0]}, {@code [*]}, {@code .*} and filters such as {@code [?(@.type=="Ready")]}.
 *
 * <p>Missing keys yield no result instead of an error, as the API server evaluates printer columns
 * with {@code AllowMissingKeys(true)}.
 */
final class JsonPathExpression {

  private sealed interface Step permits Field, Index, Wildcard, Filter {}

  private record Field(String name) implements Step {}

  private record Index(int index) implements Step {}

  private record Wildcard() implements Step {}

  /** {@code operator == null} means an existence test such as {@code [?(@.ready)]}. */
  private record Filter(JsonPathExpression path, String operator, JsonNode value) implements Step {
    boolean matches(JsonNode candidate) {
      List<JsonNode> found = path.evaluate(candidate);
      if (operator == null) {
        return !found.isEmpty()
            && !found.get(0).isNull()
            && !BooleanNode.FALSE.equals(found.get(0));
      }
      boolean equal = !found.isEmpty() && sameValue(found.get(0), value);
      return operator.equals("==") == equal;
    }
  }

  private static final ObjectMapper LITERALS = new ObjectMapper();

  private final String source;
  private final List<Step> steps;

  private JsonPathExpression(String source, List<Step> steps) {
    this.source = source;
    this.steps = steps;
  }

  /** Parses an expression, with or without the surrounding braces of a kubectl template. */
  static JsonPathExpression parse(String expression) {
    String s = expression.trim();
    if (s.startsWith("{") && s.endsWith("}")) {
      s = s.substring(1, s.length() - 1).trim();
    }
    return new JsonPathExpression(expression, new Parser(s).steps());
  }

  /** Every value the expression selects, in document order; empty when nothing matches. */
  List<JsonNode> evaluate(JsonNode root) {
    List<JsonNode> current = new ArrayList<>();
    if (root != null && !root.isMissingNode()) {
      current.add(root);
    }
    for (Step step : steps) {
      List<JsonNode> next = new ArrayList<>();
      for (JsonNode node : current) {
        apply(step, node, next);
      }
      current = next;
    }
    return current;
  }

  private static void apply(Step step, JsonNode node, List<JsonNode> out) {
    if (step instanceof Field field) {
      JsonNode child = node.isObject() ? node.get(field.name()) : null;
      if (child != null) {
        out.add(child);
      }
    } else if (step instanceof Index index) {
      if (node.isArray()) {
        int i = index.index() < 0 ? node.size() + index.index() : index.index();
        if (i >= 0 && i < node.size()) {
          out.add(node.get(i));
        }
      }
    } else if (step instanceof Wildcard) {
      if (node.isArray() || node.isObject()) {
        node.elements().forEachRemaining(out::add);
      }
    } else if (step instanceof Filter filter) {
      Iterator<JsonNode> candidates = node.isArray() ? node.elements() : List.of(node).iterator();
      while (candidates.hasNext()) {
        JsonNode candidate = candidates.next();
        if (filter.matches(candidate)) {
          out.add(candidate);
        }
      }
    }
  }

  @Override
  public String toString() {
    return source;
  }

  private static boolean sameValue(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue()) == 0;
    }
    if (a.isValueNode() && b.isValueNode()) {
      return Objects.equals(a.asText(), b.asText()) && a.isTextual() == b.isTextual();
    }
    return a.equals(b);
  }

  private static final class Parser {
    private final String s;
    private int pos;

    Parser(String s) {
      this.s = s;
    }

    List<Step> steps() {
      List<Step> steps = new ArrayList<>();
      if (s.startsWith("$")) {
        pos = 1;
      }
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (c == '.') {
          pos++;
          if (pos < s.length() && s.charAt(pos) == '*') {
            pos++;
            steps.add(new Wildcard());
          } else if (pos < s.length() && s.charAt(pos) != '.' && s.charAt(pos) != '[') {
            steps.add(new Field(identifier()));
          }
        } else if (c == '[') {
          steps.add(bracket());
        } else if (steps.isEmpty() && pos == 0) {
          // Printer columns are always relative to the object; tolerate a missing leading dot.
          steps.add(new Field(identifier()));
        } else {
          throw error("unexpected '" + c + "'");
        }
      }
      return steps;
    }

    private String identifier() {
      StringBuilder name = new StringBuilder();
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (c == '\\' && pos + 1 < s.length()) {
          name.append(s.charAt(pos + 1));
          pos += 2;
        } else if (c == '.'
            || c == '['
            || Character.isWhitespace(c)
            || c == '='
            || c == '!'
            || c == ')'
            || c == '<'
            || c == '>') {
          break;
        } else {
          name.append(c);
          pos++;
        }
      }
      if (name.isEmpty()) {
        throw error("empty field name");
      }
      return name.toString();
    }

    private Step bracket() {
      int close = findClose(pos);
      String inner = s.substring(pos + 1, close).trim();
      pos = close + 1;
      if (inner.equals("*")) {
        return new Wildcard();
      }
      if (inner.startsWith("?")) {
        return filter(inner.substring(1).trim());
      }
      if (isQuoted(inner)) {
        return new Field(inner.substring(1, inner.length() - 1));
      }
      try {
        return new Index(Integer.parseInt(inner));
      } catch (NumberFormatException e) {
        throw error("unsupported subscript [" + inner + "]");
      }
    }

    private int findClose(int open) {
      char quote = 0;
      int depth = 0;
      for (int i = open; i < s.length(); i++) {
        char c = s.charAt(i);
        if (quote != 0) {
          if (c == quote) {
            quote = 0;
          }
        } else if (c == '\'' || c == '"') {
          quote = c;
        } else if (c == '[') {
          depth++;
        } else if (c == ']' && --depth == 0) {
          return i;
        }
      }
      throw error("unterminated '['");
    }

    private Step filter(String expr) {
      if (!expr.startsWith("(") || !expr.endsWith(")")) {
        throw error("unsupported filter " + expr);
      }
      String body = expr.substring(1, expr.length() - 1).trim();
      String operator = null;
      int at = -1;
      for (String op : List.of("==", "!=")) {
        int i = indexOutsideQuotes(body, op);
        if (i >= 0) {
          operator = op;
          at = i;
          break;
        }
      }
      String left = operator == null ? body : body.substring(0, at).trim();
      if (!left.startsWith("@")) {
        throw error("filter must test a field of '@': " + body);
      }
      JsonPathExpression path = parse(left.substring(1));
      if (operator == null) {
        return new Filter(path, null, null);
      }
      return new Filter(path, operator, literal(body.substring(at + 2).trim()));
    }

    private JsonNode literal(String text) {
      if (isQuoted(text)) {
        return TextNode.valueOf(text.substring(1, text.length() - 1));
      }
      try {
        return LITERALS.readTree(text);
      } catch (IOException e) {
        throw error("unsupported literal " + text);
      }
    }

    private static boolean isQuoted(String text) {
      return text.length() >= 2
          && ((text.startsWith("'") && text.endsWith("'"))
              || (text.startsWith("\"") && text.endsWith("\"")));
    }

    private static int indexOutsideQuotes(String text, String needle) {
      char quote = 0;
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (quote != 0) {
          if (c == quote) {
            quote = 0;
          }
        } else if (c == '\'' || c == '"') {
          quote = c;
        } else if (text.startsWith(needle, i)) {
          return i;
        }
      }
      return -1;
    }

    private IllegalArgumentException error(String message) {
      return new IllegalArgumentException("JSONPath '" + s + "': " + message);
    }
  }
}
