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

/** The aws part of the CloudProfile schema: the examples pass, bad fields fail on their name. */
class AwsCrdSchemaTest {

  @ParameterizedTest
  @ValueSource(strings = {"00-cloudprofile.yaml", "01-fleet.yaml"})
  void awsExamplesAreValid(String file) throws IOException {
    JsonNode object = CrdSchemaTest.YAML.readTree(Files.readString(Path.of("examples/aws", file)));
    assertThat(CrdSchemaTest.errors(CrdSchemaTest.crdFor(object.get("kind").asText()), object))
        .isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "no regions                | /spec/aws/regions        | []                                   | regions",
        "bad region                | /spec/aws/regions        | [\"Frankfurt\"]                      | regions",
        "bad instance type         | /spec/aws/instanceType   | \"t3 micro\"                         | instanceType",
        "bad AMI id                | /spec/aws/image          | {\"ids\": {\"eu-central-1\": \"ubuntu\"}} | ids",
        "bad image owner           | /spec/aws/image          | {\"owner\": \"me\", \"name\": \"x\"} | owner",
        "bad subnet id             | /spec/aws/subnets        | {\"ids\": [\"10.0.0.0/24\"]}         | ids",
        "bad security group        | /spec/aws/securityGroups | {\"ids\": [\"default\"]}             | ids",
        "bad endpoint              | /spec/aws/endpoint       | \"127.0.0.1:5000\"                   | endpoint",
        "bad role                  | /spec/aws/assumeRoleArn  | \"proxyfleet\"                       | assumeRoleArn",
        "secret without name       | /spec/aws/credentialsSecret | {\"accessKeyIdKey\": \"id\"}      | name",
      })
  void badAwsFieldsAreRejectedOnTheNamedField(
      String name, String pointer, String json, String field) throws IOException {
    JsonNode profile =
        CrdSchemaTest.YAML.readTree(Files.readString(Path.of("examples/aws/00-cloudprofile.yaml")));
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
        .contains("self.provider != 'aws' || has(self.aws)")
        .contains("spec.aws is required when provider is aws")
        .contains("set image.ids (region -> AMI id) or both image.owner and image.name")
        .contains("set subnets.ids or subnets.tags");
  }
}
