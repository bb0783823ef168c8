package io.proxyfleet.realserver;

import static io.proxyfleet.realserver.RealServerFixtures.apply;
import static io.proxyfleet.realserver.RealServerFixtures.blocklist;
import static io.proxyfleet.realserver.RealServerFixtures.fleet;
import static io.proxyfleet.realserver.RealServerFixtures.profile;
import static io.proxyfleet.realserver.RealServerFixtures.proxies;
import static io.proxyfleet.realserver.RealServerFixtures.serving;
import static io.proxyfleet.realserver.RealServerFixtures.settled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.chart.RenderedChart;
import io.proxyfleet.testing.kube.KubeApiServer;
import io.proxyfleet.testing.kube.OperatorProcess;
import io.proxyfleet.testing.kube.RealKube;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's namespaced RBAC ({@code watchNamespaces}), proven: the operator runs as the
 * chart-rendered ServiceAccount with only the chart-rendered Roles and ClusterRole, through a
 * fleet's life and a rotation, and never hears {@code forbidden}; a fleet in a namespace it does
 * not watch is left alone.
 */
@ExtendWith(RealKube.class)
class NamespacedInstallRealServerTest {

  static final String RELEASE = "pf-scoped";
  static final String OPERATOR_NS = "pf-scoped-system";
  static final String WATCHED = "scoped-team";
  static final String UNWATCHED = "scoped-other";
  static final Duration TIMEOUT = RealKube.TIMEOUT;

  @Test
  void theChartsNamespacedRbacRunsAWholeScenarioWithoutForbidden(
      KubeApiServer server, @TempDir Path work) throws Exception {
    KubernetesClient admin = server.admin();
    for (String ns : List.of(OPERATOR_NS, WATCHED, UNWATCHED))
      RealServerFixtures.namespace(admin, ns);
    List<HasMetadata> installed =
        RenderedChart.render(
                RELEASE,
                OPERATOR_NS,
                "watchNamespaces: [" + WATCHED + "]\nclusterName: scoped\n",
                work)
            .objects()
            .stream()
            .filter(
                o ->
                    o instanceof ServiceAccount
                        || o instanceof ClusterRole
                        || o instanceof ClusterRoleBinding
                        || o instanceof Role
                        || o instanceof RoleBinding)
            .toList();
    assertThat(installed).filteredOn(Role.class::isInstance).isNotEmpty();
    for (HasMetadata object : installed)
      admin.resource(object).createOr(NonDeletingOperation::update);

    String token =
        server.serviceAccountToken(OPERATOR_NS, RELEASE + "-operator", Duration.ofHours(1));
    assertThat(RbacAudit.granted(installed)).as("namespaced grants").isNotEmpty();
    Path kubeconfig = server.writeKubeconfig(work.resolve("scoped.kubeconfig"), token, OPERATOR_NS);
    try (OperatorProcess operator =
        ShippedOperator.start(
            kubeconfig,
            RealKube.logFile("NamespacedInstallRealServerTest", "operator"),
            "scoped-operator",
            OPERATOR_NS,
            "--watch-namespaces=" + WATCHED)) {
      apply(admin, blocklist("scoped-manual"));
      apply(admin, profile(WATCHED, "local"));
      apply(
          admin,
          fleet(
              WATCHED,
              "sc",
              2,
              "local",
              List.of("local-181", "local-182"),
              List.of("scoped-manual")));
      apply(admin, profile(UNWATCHED, "local"));
      apply(
          admin,
          fleet(UNWATCHED, "ignored", 1, "local", List.of("local-183"), List.of("scoped-manual")));

      await().atMost(TIMEOUT).until(() -> settled(admin, WATCHED, "sc", 2));
      String victimIp = proxies(admin, WATCHED, "sc").get(0).getStatus().getPublicIp();
      apply(admin, blocklist("scoped-manual", victimIp + "/32"));
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  serving(admin, WATCHED, "sc").size() == 2
                      && serving(admin, WATCHED, "sc").stream()
                          .map(Proxy::getStatus)
                          .noneMatch(s -> victimIp.equals(s.getPublicIp())));

      // The unwatched fleet was never touched: no finalizer, no status, no proxies.
      ProxyFleet ignored = RealServerFixtures.fleet(admin, UNWATCHED, "ignored");
      assertThat(ignored.getMetadata().getFinalizers()).isNullOrEmpty();
      assertThat(proxies(admin, UNWATCHED, "ignored")).isEmpty();

      admin.resources(ProxyFleet.class).inNamespace(WATCHED).withName("sc").delete();
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  RealServerFixtures.fleet(admin, WATCHED, "sc") == null
                      && proxies(admin, WATCHED, "sc").isEmpty());
      admin.resources(ProxyFleet.class).inNamespace(UNWATCHED).withName("ignored").delete();
      admin.resources(Blocklist.class).withName("scoped-manual").delete();
      await()
          .atMost(TIMEOUT)
          .until(() -> admin.resources(Blocklist.class).withName("scoped-manual").get() == null);

      for (String verb : List.of("list", "watch")) {
        for (String ns : List.of("", WATCHED, OPERATOR_NS)) {
          assertThat(
                  RealServerFixtures.serviceAccountMay(
                      admin, OPERATOR_NS, RELEASE + "-operator", verb, "secrets", ns))
              .as("%s secrets in '%s'", verb, ns)
              .isFalse();
        }
      }
      assertThat(operator.isAlive()).as(operator.log()).isTrue();
      assertThat(operator.log())
          .contains("Started leading")
          .contains("namespaces [" + WATCHED + "]");
      assertThat(operator.forbiddenLines()).as("forbidden in the operator's log").isEmpty();
    }
    // The audit log agrees: every request of this operator's token was authorized and needed no
    // permission beyond the chart's Roles and ClusterRole (what this shorter scenario leaves
    // unused,
    // LeastPrivilegeScenarioTest shows used with the cluster-wide RBAC).
    java.util.List<com.fasterxml.jackson.databind.JsonNode> requests =
        RbacAudit.requests(server.auditEvents(), RbacAudit.credentialId(token));
    assertThat(requests).isNotEmpty();
    assertThat(RbacAudit.forbidden(requests)).as("requests refused").isEmpty();
    java.util.Set<RbacAudit.Permission> ungranted =
        new java.util.TreeSet<>(RbacAudit.used(requests));
    ungranted.removeAll(RbacAudit.granted(installed));
    assertThat(ungranted).as("used but not granted:" + RbacAudit.describe(ungranted)).isEmpty();
    // Namespaced requests stayed in the namespaces the Roles cover (or are cluster-scoped
    // Blocklists
    // and the ConfigMaps and Events the ClusterRole and the events Role allow).
    assertThat(requests)
        .allSatisfy(
            e -> {
              String ns = e.path("objectRef").path("namespace").asText("");
              String resource = e.path("objectRef").path("resource").asText();
              assertThat(
                      ns.isEmpty()
                          || ns.equals(WATCHED)
                          || ns.equals(OPERATOR_NS)
                          || (ns.equals("default") && resource.equals("events")))
                  .as(e.path("verb").asText() + " " + resource + " in '" + ns + "'")
                  .isTrue();
            });
  }
}
