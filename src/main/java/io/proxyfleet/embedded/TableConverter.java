package io.proxyfleet.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinitionBuilder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Renders custom resources as a {@code meta.k8s.io} {@code Table}, as the API server's CRD table
 * convertor does, so {@code kubectl get} shows the CRD's printer columns.
 */
final class TableConverter {

  private static final String NAME_DESCRIPTION =
      "Name must be unique within a namespace. Is required when creating resources, although some"
          + " resources may allow a client to request the generation of an appropriate name"
          + " automatically. Name is primarily intended for creation idempotence and configuration"
          + " definition. Cannot be updated.";

  /** What a CRD without printer columns gets on a real server. */
  private static final CustomResourceColumnDefinition DEFAULT_AGE =
      new CustomResourceColumnDefinitionBuilder()
          .withName("Age")
          .withType("date")
          .withJsonPath(".metadata.creationTimestamp")
          .build();

  private final Clock clock;

  TableConverter(Clock clock) {
    this.clock = clock;
  }

  /**
   * The Table API version the {@code Accept} header asks for, in the client's order of preference,
   * or empty when the client did not ask for a Table.
   */
  static Optional<String> requestedTableVersion(String accept) {
    if (accept == null) {
      return Optional.empty();
    }
    for (String mediaType : accept.split(",")) {
      String as = null;
      String group = null;
      String version = null;
      for (String param : mediaType.split(";")) {
        String[] kv = param.trim().split("=", 2);
        if (kv.length == 2) {
          switch (kv[0].trim().toLowerCase(Locale.ROOT)) {
            case "as" -> as = kv[1].trim();
            case "g" -> group = kv[1].trim();
            case "v" -> version = kv[1].trim();
            default -> {}
          }
        }
      }
      if ("Table".equals(as)
          && "meta.k8s.io".equals(group)
          && ("v1".equals(version) || "v1beta1".equals(version))) {
        return Optional.of(version);
      }
    }
    return Optional.empty();
  }

  /** Converts a single object or a list (anything with {@code items}) to a Table. */
  ObjectNode convert(
      JsonNode body, List<CustomResourceColumnDefinition> printerColumns, String tableVersion) {
    List<CustomResourceColumnDefinition> columns =
        printerColumns == null || printerColumns.isEmpty() ? List.of(DEFAULT_AGE) : printerColumns;
    List<JsonPathExpression> paths = new ArrayList<>();
    for (CustomResourceColumnDefinition column : columns) {
      paths.add(parseOrNull(column.getJsonPath()));
    }

    String apiVersion = "meta.k8s.io/" + tableVersion;
    ObjectNode table = Json.object();
    table.put("kind", "Table");
    table.put("apiVersion", apiVersion);
    ObjectNode metadata = table.putObject("metadata");
    String resourceVersion = body.path("metadata").path("resourceVersion").asText("");
    if (!resourceVersion.isEmpty()) {
      metadata.put("resourceVersion", resourceVersion);
    }
    String continueToken = body.path("metadata").path("continue").asText("");
    if (!continueToken.isEmpty()) {
      metadata.put("continue", continueToken);
    }

    ArrayNode definitions = table.putArray("columnDefinitions");
    definitions.add(definition("Name", "string", "name", NAME_DESCRIPTION, 0));
    for (CustomResourceColumnDefinition column : columns) {
      String description =
          column.getDescription() == null || column.getDescription().isEmpty()
              ? "Custom resource definition column (in JSONPath format): " + column.getJsonPath()
              : column.getDescription();
      definitions.add(
          definition(
              column.getName(),
              column.getType(),
              column.getFormat(),
              description,
              column.getPriority() == null ? 0 : column.getPriority()));
    }

    ArrayNode rows = table.putArray("rows");
    Iterable<JsonNode> objects = body.has("items") ? body.get("items") : List.of(body);
    for (JsonNode object : objects) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      cells.add(object.path("metadata").path("name").asText(""));
      for (int i = 0; i < columns.size(); i++) {
        JsonPathExpression path = paths.get(i);
        cells.add(cell(columns.get(i).getType(), path == null ? List.of() : path.evaluate(object)));
      }
      ObjectNode partial = row.putObject("object");
      partial.put("kind", "PartialObjectMetadata");
      partial.put("apiVersion", apiVersion);
      partial.set("metadata", object.path("metadata").deepCopy());
    }
    return table;
  }

  /**
   * A real API server rejects a CRD whose column path it cannot parse; the mock stores it anyway,
   * so such a column just stays empty instead of failing every {@code kubectl get}.
   */
  private static JsonPathExpression parseOrNull(String jsonPath) {
    try {
      return jsonPath == null ? null : JsonPathExpression.parse(jsonPath);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static ObjectNode definition(
      String name, String type, String format, String description, int priority) {
    ObjectNode d = Json.object();
    d.put("name", name);
    d.put("type", type);
    d.put("format", format == null ? "" : format);
    d.put("description", description);
    d.put("priority", priority);
    return d;
  }

  /**
   * One cell, typed like the API server types it. A JSON null makes kubectl print {@code <none>},
   * which is what a missing or mistyped value shows on a real cluster.
   */
  JsonNode cell(String type, List<JsonNode> results) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (results.isEmpty() || results.get(0) == null || results.get(0).isNull()) {
      return f.nullNode();
    }
    JsonNode value = results.get(0);
    switch (type == null ? "string" : type) {
      case "integer":
        return value.isNumber() ? f.numberNode(value.asLong()) : f.nullNode();
      case "number":
        return value.isNumber() ? f.numberNode(value.asDouble()) : f.nullNode();
      case "boolean":
        return value.isBoolean() ? value : f.nullNode();
      case "date":
        return value.isTextual() ? f.textNode(age(value.asText())) : f.nullNode();
      case "string":
      default:
        // The server prints any JSON value into a string column, as kubectl's jsonpath would.
        return f.textNode(value.isValueNode() ? value.asText() : value.toString());
    }
  }

  private String age(String timestamp) {
    Instant then;
    try {
      then = OffsetDateTime.parse(timestamp).toInstant();
    } catch (DateTimeParseException e) {
      return "<invalid>";
    }
    return HumanDuration.format(Duration.between(then, clock.instant()));
  }
}
