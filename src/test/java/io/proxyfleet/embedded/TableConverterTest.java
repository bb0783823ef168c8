package io.proxyfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinitionBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TableConverterTest {

  static final String KUBECTL_TABLE_ACCEPT =
      "application/json;as=Table;v=v1;g=meta.k8s.io,"
          + "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");
  private static final TableConverter CONVERTER =
      new TableConverter(Clock.fixed(NOW, ZoneOffset.UTC));

  private static JsonNode read(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Compares JSON text, since Jackson's int and long nodes never compare equal. */
  private static void assertJson(JsonNode actual, JsonNode expected) {
    assertThat(actual.toString()).isEqualTo(expected.toString());
  }

  private static List<CustomResourceColumnDefinition> widgetColumns() {
    return TestCrds.widgets().getSpec().getVersions().get(0).getAdditionalPrinterColumns();
  }

  private static List<String> columnNames(JsonNode table) {
    List<String> names = new ArrayList<>();
    table.path("columnDefinitions").forEach(c -> names.add(c.path("name").asText()));
    return names;
  }

  @Test
  void acceptHeaderSelectsTableVersion() {
    assertThat(TableConverter.requestedTableVersion(KUBECTL_TABLE_ACCEPT)).hasValue("v1");
    assertThat(
            TableConverter.requestedTableVersion(
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json"))
        .hasValue("v1beta1");
    assertThat(TableConverter.requestedTableVersion("application/json")).isEmpty();
    assertThat(TableConverter.requestedTableVersion(null)).isEmpty();
    assertThat(
            TableConverter.requestedTableVersion(
                "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"))
        .isEmpty();
  }

  @Test
  void listBecomesTableWithNameThenPrinterColumns() {
    JsonNode list =
        read(
            """
        {"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "42"},
         "items": [
          {"apiVersion": "example.proxyfleet.io/v1", "kind": "Widget",
           "metadata": {"name": "a", "namespace": "default", "labels": {"team": "x"},
                        "creationTimestamp": "2025-03-01T11:56:48Z"},
           "spec": {"size": 3}, "status": {"phase": "Ready"}},
          {"apiVersion": "example.proxyfleet.io/v1", "kind": "Widget",
           "metadata": {"name": "b", "namespace": "default",
                        "creationTimestamp": "2025-02-27T10:00:00Z"},
           "spec": {"size": "not a number"}}
         ]}
        """);

    JsonNode table = CONVERTER.convert(list, widgetColumns(), "v1");

    assertThat(table.path("kind").asText()).isEqualTo("Table");
    assertThat(table.path("apiVersion").asText()).isEqualTo("meta.k8s.io/v1");
    assertThat(table.path("metadata").path("resourceVersion").asText()).isEqualTo("42");
    assertThat(columnNames(table)).containsExactly("Name", "Size", "Phase", "Age");
    JsonNode name = table.path("columnDefinitions").get(0);
    assertThat(name.path("type").asText()).isEqualTo("string");
    assertThat(name.path("format").asText()).isEqualTo("name");
    assertThat(table.path("columnDefinitions").get(1).path("type").asText()).isEqualTo("integer");
    assertThat(table.path("columnDefinitions").get(3).path("type").asText()).isEqualTo("date");

    JsonNode first = table.path("rows").get(0);
    assertJson(first.path("cells"), read("[\"a\", 3, \"Ready\", \"3m12s\"]"));
    assertThat(first.path("object").path("kind").asText()).isEqualTo("PartialObjectMetadata");
    assertThat(first.path("object").path("apiVersion").asText()).isEqualTo("meta.k8s.io/v1");
    assertThat(first.path("object").path("metadata").path("namespace").asText())
        .isEqualTo("default");
    assertThat(first.path("object").path("metadata").path("labels").path("team").asText())
        .isEqualTo("x");
    assertThat(first.path("object").has("spec")).isFalse();

    // A mistyped and a missing value are null cells, which kubectl prints as blanks.
    assertJson(table.path("rows").get(1).path("cells"), read("[\"b\", null, null, \"2d2h\"]"));
  }

  @Test
  void singleObjectBecomesOneRow() {
    JsonNode widget =
        read(
            """
        {"apiVersion": "example.proxyfleet.io/v1", "kind": "Widget",
         "metadata": {"name": "solo", "namespace": "default", "resourceVersion": "7",
                      "creationTimestamp": "2025-03-01T11:59:55Z"},
         "spec": {"size": 1}}
        """);
    JsonNode table = CONVERTER.convert(widget, widgetColumns(), "v1beta1");
    assertThat(table.path("apiVersion").asText()).isEqualTo("meta.k8s.io/v1beta1");
    assertThat(table.path("metadata").path("resourceVersion").asText()).isEqualTo("7");
    assertThat(table.path("rows")).hasSize(1);
    assertJson(table.path("rows").get(0).path("cells"), read("[\"solo\", 1, null, \"5s\"]"));
  }

  @Test
  void columnTypesFollowTheApiServer() {
    assertJson(CONVERTER.cell("string", List.of(read("7"))), read("\"7\""));
    assertJson(CONVERTER.cell("string", List.of(read("{\"a\":1}"))), read("\"{\\\"a\\\":1}\""));
    assertJson(CONVERTER.cell("integer", List.of(read("7.9"))), read("7"));
    assertJson(CONVERTER.cell("number", List.of(read("7"))), read("7.0"));
    assertJson(CONVERTER.cell("boolean", List.of(read("true"))), read("true"));
    assertJson(CONVERTER.cell("boolean", List.of(read("\"yes\""))), read("null"));
    assertJson(CONVERTER.cell("date", List.of(read("\"garbage\""))), read("\"<invalid>\""));
    assertJson(CONVERTER.cell("string", List.of()), read("null"));
  }

  @Test
  void crdWithoutPrinterColumnsGetsNameAndAge() {
    JsonNode table =
        CONVERTER.convert(
            read(
                """
        {"metadata": {"name": "plain", "creationTimestamp": "2025-03-01T11:00:00Z"}}
        """),
            List.of(),
            "v1");
    assertThat(columnNames(table)).containsExactly("Name", "Age");
    assertJson(table.path("rows").get(0).path("cells"), read("[\"plain\", \"60m\"]"));
  }

  @Test
  void unparsableColumnPathLeavesTheColumnEmpty() {
    var broken =
        new CustomResourceColumnDefinitionBuilder()
            .withName("Broken")
            .withType("string")
            .withJsonPath(".spec[1:2]")
            .build();
    JsonNode table =
        CONVERTER.convert(
            read(
                """
        {"metadata": {"name": "b"}, "spec": [1, 2, 3]}
        """),
            List.of(broken),
            "v1");
    assertJson(table.path("rows").get(0).path("cells"), read("[\"b\", null]"));
  }

  @Test
  void priorityIsPassedOnForWideOutput() {
    JsonNode table =
        CONVERTER.convert(
            read("{\"items\": []}"),
            TestCrds.gadgets().getSpec().getVersions().get(0).getAdditionalPrinterColumns(),
            "v1");
    assertThat(columnNames(table)).containsExactly("Name", "Region", "Ready", "Detail");
    assertThat(table.path("columnDefinitions").get(3).path("priority").asInt()).isEqualTo(1);
    assertThat(table.path("rows")).isEmpty();
  }
}
