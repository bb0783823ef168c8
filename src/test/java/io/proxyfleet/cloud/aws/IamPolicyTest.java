package io.proxyfleet.cloud.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * operator/aws-iam-policy.json allows every EC2 operation the adapter calls (the list the call
 * counter is checked against in Ec2CloudProviderTest), and nothing that changes resources without
 * the cluster tag condition.
 */
class IamPolicyTest {

  static final Path POLICY = Path.of("operator/aws-iam-policy.json");

  record Statement(Set<String> actions, List<String> resources, JsonNode condition) {}

  static List<Statement> statements() throws IOException {
    JsonNode policy = new ObjectMapper().readTree(Files.readString(POLICY));
    assertThat(policy.get("Version").asText()).isEqualTo("2012-10-17");
    List<Statement> out = new ArrayList<>();
    for (JsonNode s : policy.get("Statement")) {
      assertThat(s.get("Effect").asText()).isEqualTo("Allow");
      out.add(
          new Statement(
              new HashSet<>(strings(s.get("Action"))),
              strings(s.get("Resource")),
              s.get("Condition")));
    }
    return out;
  }

  static List<String> strings(JsonNode node) {
    List<String> out = new ArrayList<>();
    if (node.isArray()) {
      node.forEach(n -> out.add(n.asText()));
    } else {
      out.add(node.asText());
    }
    return out;
  }

  @Test
  void everyOperationTheAdapterCallsIsAllowed() throws IOException {
    Set<String> allowed = new HashSet<>();
    statements().forEach(s -> allowed.addAll(s.actions()));
    for (String op : Ec2CloudProvider.OPERATIONS) {
      assertThat(allowed).as("ec2:" + op).contains("ec2:" + op);
    }
    assertThat(allowed)
        .as("tags written by RunInstances/AllocateAddress/CreateSecurityGroup need CreateTags")
        .contains("ec2:CreateTags");
    assertThat(allowed)
        .as(
            "nothing beyond what the adapter calls, plus CreateTags and DisassociateAddress for cleanup by hand")
        .allMatch(
            a ->
                a.equals("ec2:CreateTags")
                    || a.equals("ec2:DisassociateAddress")
                    || Ec2CloudProvider.OPERATIONS.contains(a.substring("ec2:".length())));
  }

  @Test
  void onlyDescribeCallsGoUnconditionedOnAnyResource() throws IOException {
    for (Statement s : statements()) {
      if (s.resources().contains("*")) {
        assertThat(s.actions()).allMatch(a -> a.startsWith("ec2:Describe"));
        assertThat(s.condition()).isNull();
      }
    }
  }

  @Test
  void creatingAndChangingOwnResourcesIsTiedToTheClusterTag() throws IOException {
    for (Statement s : statements()) {
      boolean creates =
          s.actions().stream()
                  .anyMatch(a -> Set.of("ec2:AllocateAddress", "ec2:CreateTags").contains(a))
              || (s.actions().contains("ec2:RunInstances")
                  && s.resources().stream().anyMatch(r -> r.contains(":instance/")))
              || (s.actions().contains("ec2:CreateSecurityGroup")
                  && s.resources().stream().anyMatch(r -> r.contains(":security-group/")));
      boolean changes =
          s.actions().stream()
                  .anyMatch(
                      a ->
                          Set.of(
                                  "ec2:TerminateInstances",
                                  "ec2:ReleaseAddress",
                                  "ec2:AssociateAddress",
                                  "ec2:DisassociateAddress")
                              .contains(a))
              || (s.actions().contains("ec2:AuthorizeSecurityGroupIngress")
                  && s.resources().stream().anyMatch(r -> r.endsWith(":security-group/*")));
      if (creates) {
        assertThat(
                s.condition().at("/StringEquals/aws:RequestTag~1proxyfleet.io~1cluster").asText())
            .as(s.toString())
            .isEqualTo("CLUSTER_NAME");
      }
      if (changes) {
        assertThat(
                s.condition().at("/StringEquals/ec2:ResourceTag~1proxyfleet.io~1cluster").asText())
            .as(s.toString())
            .isEqualTo("CLUSTER_NAME");
      }
      if (s.actions().contains("ec2:CreateTags")) {
        assertThat(strings(s.condition().at("/StringEquals/ec2:CreateAction")))
            .containsExactlyInAnyOrder("RunInstances", "AllocateAddress", "CreateSecurityGroup");
      }
    }
  }
}
