package io.proxyfleet.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a real API server would reject at admission: the committed CRDs' schemas applied to the
 * examples (must pass) and to bad input (must fail, on the named field).
 */
class CrdSchemaTest {

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static JsonSchema schemaOf(String crdFile) throws IOException {
    JsonNode crd = YAML.readTree(Files.readString(Path.of("crds", crdFile)));
    JsonNode schema = crd.at("/spec/versions/0/schema/openAPIV3Schema");
    return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(schema);
  }

  static Set<String> errors(String crdFile, JsonNode object) throws IOException {
    ObjectNode copy = object.deepCopy();
    copy.remove("apiVersion");
    copy.remove("kind");
    copy.remove("metadata");
    return schemaOf(crdFile).validate(copy).stream()
        .map(ValidationMessage::getMessage)
        .collect(Collectors.toSet());
  }

  static String crdFor(String kind) {
    return switch (kind) {
      case "ProxyFleet" -> "proxyfleets.proxyfleet.io-v1.yml";
      case "CloudProfile" -> "cloudprofiles.proxyfleet.io-v1.yml";
      case "Blocklist" -> "blocklists.proxyfleet.io-v1.yml";
      case "Proxy" -> "proxies.proxyfleet.io-v1.yml";
      case "Vantage" -> "vantages.proxyfleet.io-v1.yml";
      default -> throw new IllegalArgumentException(kind);
    };
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "00-cloudprofile.yaml",
        "01-blocklist-manual.yaml",
        "02-fleet-demo.yaml",
        "03-vantage-inside.yaml"
      })
  void examplesAreValid(String file) throws IOException {
    JsonNode object = YAML.readTree(Files.readString(Path.of("examples/local", file)));
    assertThat(errors(crdFor(object.get("kind").asText()), object)).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "negative replicas            | /spec/replicas | -1                      | replicas",
        "absurd replicas              | /spec/replicas | 100000                  | replicas",
        "unknown protocol             | /spec/protocol | \"ftp\"                 | protocol",
        "port zero                    | /spec/port     | 0                       | port",
        "port above 65535             | /spec/port     | 70000                   | port",
        "empty region list            | /spec/placement/0/regions | []           | regions",
        "empty placement              | /spec/placement | []                     | placement",
        "weight zero                  | /spec/placement/0/weight | 0             | weight",
        "bad maxAge                   | /spec/rotation/maxAge | \"three days\"   | maxAge",
        "bad onBlocked                | /spec/rotation/onBlocked | \"Ignore\"    | onBlocked",
        "bad profile name             | /spec/placement/0/cloudProfile | \"Not_A_Name\" | cloudProfile",
        "IP as FakeTLS domain         | /spec/mtproto | {\"fakeTlsDomain\": \"1.2.3.4\"} | fakeTlsDomain",
        "uppercase FakeTLS domain     | /spec/mtproto | {\"fakeTlsDomain\": \"Www.Example.com\"} | fakeTlsDomain",
        "single-label FakeTLS domain  | /spec/mtproto | {\"fakeTlsDomain\": \"localhost\"} | fakeTlsDomain",
        "no FakeTLS domain            | /spec/mtproto | {\"secretScope\": \"fleet\"} | fakeTlsDomain",
        "unknown secret scope         | /spec/mtproto | {\"fakeTlsDomain\": \"www.example.com\", \"secretScope\": \"user\"} | secretScope",
      })
  void badFleetsAreRejectedOnTheNamedField(String name, String pointer, String json, String field)
      throws IOException {
    JsonNode fleet = YAML.readTree(Files.readString(Path.of("examples/local/02-fleet-demo.yaml")));
    set(fleet, pointer, new ObjectMapper().readTree(json));
    assertThat(errors(crdFor("ProxyFleet"), fleet))
        .as(name)
        .isNotEmpty()
        .anyMatch(m -> m.contains(field));
  }

  /**
   * CEL rules need a real API server; here we check they are in the schema with the exact
   * expressions, and FleetValidatorTest proves the same rules in the operator.
   */
  @org.junit.jupiter.api.Test
  void protocolOptionMismatchIsACelRule() throws IOException {
    JsonNode crd = YAML.readTree(Files.readString(Path.of("crds", crdFor("ProxyFleet"))));
    JsonNode rules =
        crd.at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/x-kubernetes-validations");
    assertThat(rules.findValuesAsText("rule"))
        .contains(
            "self.protocol == 'mtproto' || !has(self.mtproto)",
            "self.protocol != 'mtproto' || has(self.mtproto)");
    JsonNode fleet = YAML.readTree(Files.readString(Path.of("examples/local/02-fleet-demo.yaml")));
    ((ObjectNode) fleet.get("spec"))
        .set("mtproto", new ObjectMapper().readTree("{\"fakeTlsDomain\": \"www.example.com\"}"));
    assertThat(errors(crdFor("ProxyFleet"), fleet))
        .as("a valid domain passes the pattern")
        .isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"hello world\"", "\"1.2.3.4/x\"", "\"; rm -rf\""})
  void garbageBlocklistEntriesAreRejected(String entry) throws IOException {
    JsonNode list =
        YAML.readTree(
            "apiVersion: proxyfleet.io/v1alpha1\nkind: Blocklist\nmetadata: {name: x}\nspec: {cidrs: ["
                + entry
                + "]}");
    assertThat(errors(crdFor("Blocklist"), list)).anyMatch(m -> m.contains("cidrs"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"azure\"", "\"\""})
  void unknownProvidersAreRejected(String provider) throws IOException {
    JsonNode p =
        YAML.readTree(
            "apiVersion: proxyfleet.io/v1alpha1\nkind: CloudProfile\nmetadata: {name: x}\nspec: {provider: "
                + provider
                + "}");
    assertThat(errors(crdFor("CloudProfile"), p)).anyMatch(m -> m.contains("provider"));
  }

  private static void set(JsonNode root, String pointer, JsonNode value) {
    int slash = pointer.lastIndexOf('/');
    JsonNode parent = root.at(pointer.substring(0, slash));
    String key = pointer.substring(slash + 1);
    if (parent.isArray()) {
      ((com.fasterxml.jackson.databind.node.ArrayNode) parent).set(Integer.parseInt(key), value);
    } else {
      ((ObjectNode) parent).set(key, value);
    }
  }
}
