package io.proxyfleet.realserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * RBAC compared with what an operator really did: the permissions its Roles and ClusterRoles grant,
 * and the requests the API server's audit log recorded for one ServiceAccount token.
 */
final class RbacAudit {

  /**
   * Where the API server records which token authenticated a request (ServiceAccount token JTI, on
   * by default since Kubernetes 1.30).
   */
  static final String CREDENTIAL_ID = "authentication.kubernetes.io/credential-id";

  /**
   * One permission as the authorizer checks it; {@code subresource} is empty for the resource
   * itself.
   */
  record Permission(String group, String resource, String subresource, String verb)
      implements Comparable<Permission> {
    @Override
    public int compareTo(Permission o) {
      return toString().compareTo(o.toString());
    }

    @Override
    public String toString() {
      return (group.isEmpty() ? "core" : group)
          + " "
          + resource
          + (subresource.isEmpty() ? "" : "/" + subresource)
          + " "
          + verb;
    }
  }

  /**
   * What every authenticated user may do through Kubernetes' default ClusterRole {@code
   * system:basic-user}, so no chart grants it: JOSDK's LeaderElectionManager asks a
   * SelfSubjectRulesReview at start whether it may use Leases.
   */
  static final Set<Permission> EVERY_USER =
      Set.of(
          new Permission("authorization.k8s.io", "selfsubjectrulesreviews", "", "create"),
          new Permission("authorization.k8s.io", "selfsubjectaccessreviews", "", "create"));

  private RbacAudit() {}

  /**
   * The audit log's credential id of a ServiceAccount token: {@code JTI=} and the token's {@code
   * jti} claim.
   */
  static String credentialId(String token) {
    String[] parts = token.split("\\.");
    try {
      JsonNode claims = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
      return "JTI=" + claims.path("jti").asText();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The resource requests made with the token whose credential id is given (discovery and other
   * non-resource URLs left out).
   */
  static List<JsonNode> requests(List<JsonNode> auditEvents, String credentialId) {
    return auditEvents.stream()
        .filter(
            e -> {
              for (JsonNode id : e.path("user").path("extra").path(CREDENTIAL_ID)) {
                if (id.asText().equals(credentialId)) return true;
              }
              return false;
            })
        .filter(e -> e.has("objectRef"))
        .toList();
  }

  /** The permissions the requests needed, besides those every user has ({@link #EVERY_USER}). */
  static Set<Permission> used(List<JsonNode> requests) {
    return requests.stream()
        .map(
            e -> {
              JsonNode ref = e.path("objectRef");
              return new Permission(
                  ref.path("apiGroup").asText(""),
                  ref.path("resource").asText(),
                  ref.path("subresource").asText(""),
                  e.path("verb").asText());
            })
        .filter(p -> !EVERY_USER.contains(p))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** Requests the authorizer refused, as "verb resource namespace/name" lines. */
  static List<String> forbidden(List<JsonNode> requests) {
    return requests.stream()
        .filter(e -> e.path("responseStatus").path("code").asInt() == 403)
        .map(
            e ->
                e.path("verb").asText()
                    + " "
                    + e.path("objectRef").path("resource").asText()
                    + " "
                    + e.path("objectRef").path("namespace").asText("")
                    + "/"
                    + e.path("objectRef").path("name").asText(""))
        .toList();
  }

  /**
   * Every permission the rules of the given Roles and ClusterRoles grant; a wildcard fails the
   * test's premise.
   */
  static Set<Permission> granted(List<HasMetadata> rbac) {
    Set<Permission> granted = new TreeSet<>();
    for (HasMetadata object : rbac) {
      List<PolicyRule> rules =
          object instanceof ClusterRole c
              ? c.getRules()
              : object instanceof Role r ? r.getRules() : List.of();
      for (PolicyRule rule : rules) {
        for (String group : rule.getApiGroups()) {
          for (String resource : rule.getResources()) {
            for (String verb : rule.getVerbs()) {
              if (group.contains("*") || resource.contains("*") || verb.contains("*")) {
                throw new AssertionError(
                    "wildcard in "
                        + object.getKind()
                        + " "
                        + object.getMetadata().getName()
                        + ": "
                        + rule);
              }
              int slash = resource.indexOf('/');
              granted.add(
                  slash < 0
                      ? new Permission(group, resource, "", verb)
                      : new Permission(
                          group,
                          resource.substring(0, slash),
                          resource.substring(slash + 1),
                          verb));
            }
          }
        }
      }
    }
    return granted;
  }

  static String describe(Set<Permission> permissions) {
    return permissions.stream()
        .map(Permission::toString)
        .collect(Collectors.joining("\n  ", "\n  ", "\n"));
  }
}
