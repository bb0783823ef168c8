package io.proxyfleet.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The gcp part of the CloudProfile schema: the examples pass, bad fields fail on their name. */
class GcpCrdSchemaTest {

  @ParameterizedTest
  @ValueSource(strings = {"00-cloudprofile.yaml", "01-fleet.yaml"})
  void gcpExamplesAreValid(String file) throws IOException {
    JsonNode object = CrdSchemaTest.YAML.readTree(Files.readString(Path.of("examples/gcp", file)));
    assertThat(CrdSchemaTest.errors(CrdSchemaTest.crdFor(object.get("kind").asText()), object))
        .isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "bad project          | /spec/gcp/project      | \"My Project\"                   | project",
        "no regions           | /spec/gcp/regions      | []                               | regions",
        "bad region           | /spec/gcp/regions      | [{\"name\": \"Frankfurt\"}]      | name",
        "bad zone             | /spec/gcp/regions      | [{\"name\": \"europe-west3\", \"zones\": [\"a\"]}] | zones",
        "bad machine type     | /spec/gcp/machineType  | \"e2 micro\"                     | machineType",
        "bad tier             | /spec/gcp/networkTier  | \"GOLD\"                         | networkTier",
        "bad address mode     | /spec/gcp/addressMode  | \"Floating\"                     | addressMode",
        "bad endpoint         | /spec/gcp/endpoint     | \"compute.googleapis.com\"       | endpoint",
        "secret without name  | /spec/gcp/credentialsSecret | {\"key\": \"key.json\"}     | name",
      })
  void badGcpFieldsAreRejectedOnTheNamedField(
      String name, String pointer, String json, String field) throws IOException {
    JsonNode profile =
        CrdSchemaTest.YAML.readTree(Files.readString(Path.of("examples/gcp/00-cloudprofile.yaml")));
    int slash = pointer.lastIndexOf('/');
    ((ObjectNode) profile.at(pointer.substring(0, slash)))
        .set(pointer.substring(slash + 1), new ObjectMapper().readTree(json));
    assertThat(CrdSchemaTest.errors(CrdSchemaTest.crdFor("CloudProfile"), profile))
        .as(name)
        .isNotEmpty()
        .anyMatch(m -> m.contains(field));
  }

  @Test
  void theCelRulesAreInTheCrd() throws IOException {
    JsonNode crd =
        CrdSchemaTest.YAML.readTree(
            Files.readString(Path.of("crds", CrdSchemaTest.crdFor("CloudProfile"))));
    java.util.List<String> rules = new java.util.ArrayList<>();
    crd.findValues("x-kubernetes-validations")
        .forEach(
            list ->
                list.forEach(
                    r -> {
                      rules.add(r.get("rule").asText());
                      rules.add(r.get("message").asText());
                    }));
    assertThat(String.join("\n", rules))
        .contains("self.provider != 'gcp' || has(self.gcp)")
        .contains("spec.gcp is required when provider is gcp")
        .contains("set only the settings of spec.provider")
        .contains("every zone must belong to its region");
  }
}
