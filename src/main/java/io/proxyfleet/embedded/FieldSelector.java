package io.proxyfleet.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A {@code fieldSelector} as kube-apiserver reads it: comma-separated {@code path=value}, {@code
 * path==value} or {@code path!=value} terms on dotted paths such as {@code metadata.name} or {@code
 * involvedObject.uid}, all of which must hold; a missing field compares as "".
 *
 * <p>The CRUD dispatcher ignores field selectors, so {@code kubectl wait pf/demo} (which lists and
 * watches with {@code metadata.name=demo}) saw every fleet of the namespace and could report the
 * condition of another one as met, and {@code kubectl describe} listed no events.
 */
record FieldSelector(List<Term> terms) {

  record Term(String path, boolean equal, String value) {
    boolean matches(JsonNode object) {
      JsonNode node = object;
      for (String part : path.split("\\.")) {
        node = node.path(part);
      }
      String actual = node.isValueNode() ? node.asText() : "";
      return actual.equals(value) == equal;
    }
  }

  /** The selector in a raw query string, if it has a non-empty one. */
  static Optional<FieldSelector> fromQuery(String query) {
    return Arrays.stream(query.split("&"))
        .filter(p -> p.startsWith("fieldSelector="))
        .map(p -> URLDecoder.decode(p.substring("fieldSelector=".length()), StandardCharsets.UTF_8))
        .filter(s -> !s.isBlank())
        .findFirst()
        .map(FieldSelector::parse);
  }

  static FieldSelector parse(String selector) {
    List<Term> terms = new ArrayList<>();
    for (String term : selector.split(",")) {
      String t = term.trim();
      if (t.isEmpty()) {
        continue;
      }
      int not = t.indexOf("!=");
      if (not > 0) {
        terms.add(new Term(t.substring(0, not).trim(), false, t.substring(not + 2).trim()));
        continue;
      }
      int eq = t.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("invalid field selector term: " + t);
      }
      String value = t.substring(t.startsWith("==", eq) ? eq + 2 : eq + 1).trim();
      terms.add(new Term(t.substring(0, eq).trim(), true, value));
    }
    return new FieldSelector(List.copyOf(terms));
  }

  boolean matches(JsonNode object) {
    return terms.stream().allMatch(t -> t.matches(object));
  }

  /** {@code list} (a List document) keeping only the items that match; changed in place. */
  JsonNode filterItems(JsonNode list) {
    if (list.isObject() && list.path("items").isArray()) {
      var kept = Json.MAPPER.createArrayNode();
      for (JsonNode item : list.get("items")) {
        if (matches(item)) {
          kept.add(item);
        }
      }
      ((com.fasterxml.jackson.databind.node.ObjectNode) list).set("items", kept);
    }
    return list;
  }
}
