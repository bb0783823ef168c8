package io.proxyfleet.vantage;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.proxyfleet.api.ApiGroup;
import java.util.List;
import java.util.Objects;

/**
 * The ServiceAccount, Role and RoleBinding a vantage's probe agent runs with, and nothing more:
 * list Proxies in the namespace (to find its fleets' proxies and their addresses), get its fleets'
 * credentials Secrets by name (to authenticate its probes like a user would), get its own Vantage
 * and patch that Vantage's status. It cannot read other Secrets, change any Proxy or fleet, or
 * write another vantage's status: the token that sits on a box inside the censored country is worth
 * little to whoever takes it.
 */
public final class AgentRbac {

  private AgentRbac() {}

  /** The name of the ServiceAccount, Role and RoleBinding for a vantage. */
  public static String name(String vantage) {
    return "probe-agent-" + vantage;
  }

  /**
   * @param credentialsSecrets the credentials Secrets of the vantage's fleets ({@code
   *     <fleet>-credentials} unless a fleet names its own)
   */
  public static List<HasMetadata> objects(
      String namespace, String vantage, List<String> credentialsSecrets) {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(vantage, "vantage");
    if (credentialsSecrets.isEmpty()) {
      throw new IllegalArgumentException(
          "a vantage probes at least one fleet, so it needs at least one credentials Secret");
    }
    String name = name(vantage);
    var labels =
        java.util.Map.of(
            "app.kubernetes.io/name",
            "proxyfleet-probe-agent",
            ApiGroup.GROUP + "/vantage",
            vantage);
    return List.of(
        new ServiceAccountBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .withLabels(labels)
            .endMetadata()
            .withAutomountServiceAccountToken(false)
            .build(),
        new RoleBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .withLabels(labels)
            .endMetadata()
            .withRules(
                new PolicyRuleBuilder()
                    .withApiGroups(ApiGroup.GROUP)
                    .withResources("proxies")
                    .withVerbs("list")
                    .build(),
                new PolicyRuleBuilder()
                    .withApiGroups(ApiGroup.GROUP)
                    .withResources("vantages")
                    .withResourceNames(vantage)
                    .withVerbs("get")
                    .build(),
                new PolicyRuleBuilder()
                    .withApiGroups(ApiGroup.GROUP)
                    .withResources("vantages/status")
                    .withResourceNames(vantage)
                    .withVerbs("patch")
                    .build(),
                new PolicyRuleBuilder()
                    .withApiGroups("")
                    .withResources("secrets")
                    .withResourceNames(credentialsSecrets.stream().distinct().sorted().toList())
                    .withVerbs("get")
                    .build())
            .build(),
        new RoleBindingBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .withLabels(labels)
            .endMetadata()
            .withNewRoleRef("rbac.authorization.k8s.io", "Role", name)
            .addNewSubject()
            .withKind("ServiceAccount")
            .withName(name)
            .withNamespace(namespace)
            .endSubject()
            .build());
  }
}
