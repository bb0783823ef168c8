package io.proxyfleet.realserver;

import static io.proxyfleet.realserver.RealServerFixtures.apply;
import static io.proxyfleet.realserver.RealServerFixtures.blocklist;
import static io.proxyfleet.realserver.RealServerFixtures.condition;
import static io.proxyfleet.realserver.RealServerFixtures.fleet;
import static io.proxyfleet.realserver.RealServerFixtures.profile;
import static io.proxyfleet.realserver.RealServerFixtures.proxies;
import static io.proxyfleet.realserver.RealServerFixtures.settled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.testing.kube.KubeApiServer;
import io.proxyfleet.testing.kube.OperatorProcess;
import io.proxyfleet.testing.kube.RealKube;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet whose Proxies the API server refuses to create says so, counts only what exists, and
 * converges by itself once the permission is granted: no spec change, no silence.
 */
@ExtendWith(RealKube.class)
class StrandedFleetRealServerTest {

  static final String NS = "stranded";
  static final String SA = "stranded-operator";

  @Test
  void refusedCreatesAreReportedAndTheFleetConvergesOnceGranted(
      KubeApiServer server, @TempDir Path work) {
    KubernetesClient admin = server.admin();
    List<HasMetadata> shipped = ShippedOperator.installRbac(admin);
    RealServerFixtures.namespace(admin, NS);
    ClusterRole full =
        shipped.stream()
            .filter(ClusterRole.class::isInstance)
            .map(ClusterRole.class::cast)
            .findFirst()
            .orElseThrow();
    // The shipped role without "create" on proxies: what an old or hand-edited role might lack.
    List<PolicyRule> withoutCreate = new ArrayList<>();
    for (PolicyRule rule : full.getRules()) {
      if (rule.getResources().equals(List.of("proxies"))) {
        withoutCreate.add(
            new PolicyRuleBuilder(rule)
                .withVerbs(rule.getVerbs().stream().filter(v -> !v.equals("create")).toList())
                .build());
      } else {
        withoutCreate.add(rule);
      }
    }
    admin
        .serviceAccounts()
        .inNamespace(NS)
        .resource(new ServiceAccountBuilder().withNewMetadata().withName(SA).endMetadata().build())
        .createOr(NonDeletingOperation::update);
    admin
        .rbac()
        .clusterRoles()
        .resource(
            new ClusterRoleBuilder()
                .withNewMetadata()
                .withName(SA)
                .endMetadata()
                .withRules(withoutCreate)
                .build())
        .createOr(NonDeletingOperation::update);
    ClusterRoleBinding binding =
        new ClusterRoleBindingBuilder()
            .withNewMetadata()
            .withName(SA)
            .endMetadata()
            .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", SA)
            .addNewSubject()
            .withKind("ServiceAccount")
            .withName(SA)
            .withNamespace(NS)
            .endSubject()
            .build();
    admin.rbac().clusterRoleBindings().resource(binding).createOr(NonDeletingOperation::update);
    String token = server.serviceAccountToken(NS, SA, Duration.ofHours(1));
    Path kubeconfig = server.writeKubeconfig(work.resolve("kubeconfig"), token, NS);

    try (OperatorProcess operator =
        ShippedOperator.start(
            kubeconfig,
            RealKube.logFile("StrandedFleetRealServerTest", "operator"),
            "stranded",
            NS)) {
      apply(admin, blocklist("stranded-list"));
      apply(admin, profile(NS, "local"));
      apply(
          admin, fleet(NS, "stranded", 3, "local", List.of("local-81"), List.of("stranded-list")));

      await()
          .atMost(RealKube.TIMEOUT)
          .until(
              () ->
                  condition(RealServerFixtures.fleet(admin, NS, "stranded"), "Degraded")
                      .filter(
                          c -> c.getStatus().equals("True") && c.getReason().equals("Forbidden"))
                      .isPresent());
      ProxyFleet refused = RealServerFixtures.fleet(admin, NS, "stranded");
      assertThat(condition(refused, "Degraded").orElseThrow().getMessage())
          .contains("proxies")
          .contains("forbidden")
          .contains("rbac");
      assertThat(condition(refused, "Ready").orElseThrow().getStatus()).isEqualTo("False");
      assertThat(refused.getStatus().getReadyReplicas()).isZero();
      assertThat(refused.getStatus().getReplicas()).isZero();
      assertThat(proxies(admin, NS, "stranded")).isEmpty();
      long generation = refused.getMetadata().getGeneration();

      // Grant the permission; the fleet must converge with no spec change (retries never give up).
      admin
          .rbac()
          .clusterRoles()
          .withName(SA)
          .edit(r -> new ClusterRoleBuilder(r).withRules(full.getRules()).build());
      await()
          .atMost(RealKube.TIMEOUT.plus(Duration.ofMinutes(1)))
          .until(() -> settled(admin, NS, "stranded", 3));
      ProxyFleet converged = RealServerFixtures.fleet(admin, NS, "stranded");
      assertThat(converged.getMetadata().getGeneration()).isEqualTo(generation);
      assertThat(condition(converged, "Ready").orElseThrow().getStatus()).isEqualTo("True");
      await()
          .atMost(RealKube.TIMEOUT)
          .until(
              () ->
                  condition(RealServerFixtures.fleet(admin, NS, "stranded"), "Degraded")
                      .filter(c -> c.getStatus().equals("False"))
                      .isPresent());
      assertThat(operator.log()).doesNotContain("Exhausted retries");

      admin.resources(ProxyFleet.class).inNamespace(NS).withName("stranded").delete();
      await()
          .atMost(RealKube.TIMEOUT)
          .until(() -> RealServerFixtures.fleet(admin, NS, "stranded") == null);
    } finally {
      admin.rbac().clusterRoleBindings().withName(SA).delete();
      admin.rbac().clusterRoles().withName(SA).delete();
    }
  }
}
