package io.proxyfleet.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.proxyfleet.blocklist.BlocklistValidator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The Blocklist examples against the committed CRD schema and the operator's own validator. */
class BlocklistCrdSchemaTest {

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static List<JsonNode> documents(Path file) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
      YAML.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
    }
    return docs;
  }

  @ParameterizedTest
  @ValueSource(strings = {"antifilter-url.yaml", "configmap.yaml"})
  void examplesAreValid(String file) throws Exception {
    List<JsonNode> lists =
        documents(Path.of("examples/blocklists", file)).stream()
            .filter(d -> "Blocklist".equals(d.path("kind").asText()))
            .toList();
    assertThat(lists).isNotEmpty();
    for (JsonNode list : lists) {
      assertThat(CrdSchemaTest.errors("blocklists.proxyfleet.io-v1.yml", list)).isEmpty();
      BlocklistSpec spec = YAML.treeToValue(list.get("spec"), BlocklistSpec.class);
      assertThat(new BlocklistValidator().validate(spec).problems()).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "ftp url            | {url: 'ftp://example.org/x'}            | url",
        "credentials in url | {url: 'https://u:p@example.org/x'}      | url",
        "unknown format     | {url: 'https://e.org/x', format: xml}   | format",
        "bad duration       | {url: 'https://e.org/x', timeout: soon} | timeout",
        "bad name           | {url: 'https://e.org/x', name: Feed_1}  | name",
        "configMap w/o key  | {configMap: {namespace: a, name: b}}    | key",
      })
  void badSourcesAreRejected(String name, String source, String field) throws IOException {
    JsonNode list =
        YAML.readTree(
            "apiVersion: proxyfleet.io/v1alpha1\nkind: Blocklist\nmetadata: {name: x}\nspec: {sources: ["
                + source
                + "]}");
    assertThat(CrdSchemaTest.errors("blocklists.proxyfleet.io-v1.yml", list))
        .as(name)
        .anyMatch(m -> m.contains(field));
  }

  @ParameterizedTest
  @CsvSource({"minIpv4Prefix, 33", "maxGrowthFactor, 0", "maxNewIpv4Addresses, -1"})
  void badGuardValuesAreRejected(String field, String value) throws IOException {
    JsonNode list =
        YAML.readTree(
            "apiVersion: proxyfleet.io/v1alpha1\nkind: Blocklist\nmetadata: {name: x}\nspec: {guard: {"
                + field
                + ": "
                + value
                + "}}");
    assertThat(CrdSchemaTest.errors("blocklists.proxyfleet.io-v1.yml", list))
        .anyMatch(m -> m.contains(field));
  }
}
