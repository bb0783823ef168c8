package io.proxyfleet.realserver;

import static io.proxyfleet.realserver.RealServerFixtures.apply;
import static io.proxyfleet.realserver.RealServerFixtures.fleet;
import static io.proxyfleet.realserver.RealServerFixtures.profile;
import static io.proxyfleet.realserver.RealServerFixtures.proxies;
import static io.proxyfleet.realserver.RealServerFixtures.settled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.Vantage;
import io.proxyfleet.api.VantageResult;
import io.proxyfleet.api.VantageStatus;
import io.proxyfleet.cli.Main;
import io.proxyfleet.testing.OriginServer;
import io.proxyfleet.testing.kube.KubeApiServer;
import io.proxyfleet.testing.kube.OperatorProcess;
import io.proxyfleet.testing.kube.RealKube;
import io.proxyfleet.vantage.AgentRbac;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe agent as it runs inside a censored network: with only the token of the ServiceAccount
 * that {@code probe-agent rbac} ships, it probes a real fleet's proxies and reports in its own
 * Vantage, and the API server refuses everything else it might try.
 */
@ExtendWith(RealKube.class)
class VantageAgentRealServerTest {

  static final String NS = "vantage-agent";

  @Test
  void reportsWithItsShippedRbacAndCanTouchNothingElse(KubeApiServer server, @TempDir Path work)
      throws Exception {
    KubernetesClient admin = server.admin();
    ShippedOperator.installRbac(admin);
    RealServerFixtures.namespace(admin, NS);
    String sa = "vantage-operator";
    admin
        .serviceAccounts()
        .inNamespace(NS)
        .resource(new ServiceAccountBuilder().withNewMetadata().withName(sa).endMetadata().build())
        .createOr(NonDeletingOperation::update);
    admin
        .rbac()
        .clusterRoleBindings()
        .resource(
            new ClusterRoleBindingBuilder()
                .withNewMetadata()
                .withName(sa)
                .endMetadata()
                .withNewRoleRef(
                    "rbac.authorization.k8s.io", "ClusterRole", ShippedOperator.SERVICE_ACCOUNT)
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName(sa)
                .withNamespace(NS)
                .endSubject()
                .build())
        .createOr(NonDeletingOperation::update);
    Path operatorConfig =
        server.writeKubeconfig(
            work.resolve("operator.kubeconfig"),
            server.serviceAccountToken(NS, sa, Duration.ofHours(1)),
            NS);

    try (OriginServer origin = OriginServer.onLoopback();
        OperatorProcess operator =
            ShippedOperator.start(
                operatorConfig,
                RealKube.logFile("VantageAgentRealServerTest", "operator"),
                "vantage-op",
                NS)) {
      apply(admin, profile(NS, "local"));
      apply(admin, fleet(NS, "vf", 2, "local", List.of("local-181"), List.of()));
      apply(admin, fleet(NS, "secret-fleet", 1, "local", List.of("local-182"), List.of()));
      await()
          .atMost(RealKube.TIMEOUT)
          .until(() -> settled(admin, NS, "vf", 2) && settled(admin, NS, "secret-fleet", 1));

      for (String name : List.of("inside", "elsewhere")) {
        apply(
            admin,
            """
            apiVersion: proxyfleet.io/v1alpha1
            kind: Vantage
            metadata: {name: %s, namespace: %s}
            spec:
              network: {country: RU, asn: 12389, description: "Rostelecom, Moscow"}
              fleets: [vf]
              reportInterval: 10s
              probeTimeout: 2s
            """
                .formatted(name, NS));
      }
      for (HasMetadata object : AgentRbac.objects(NS, "inside", List.of("vf-credentials"))) {
        admin.resource(object).createOr(NonDeletingOperation::update);
      }
      String agentToken =
          server.serviceAccountToken(NS, AgentRbac.name("inside"), Duration.ofHours(1));
      Path agentConfig = server.writeKubeconfig(work.resolve("agent.kubeconfig"), agentToken, NS);

      // One round through the shipped command, as an operator of the vantage box runs it.
      assertThat(
              Main.run(
                  "probe-agent",
                  "--kubeconfig",
                  agentConfig.toString(),
                  "--vantage",
                  "inside",
                  "--once",
                  "--target",
                  "127.0.0.1:" + origin.port()))
          .isZero();
      VantageStatus status =
          admin.resources(Vantage.class).inNamespace(NS).withName("inside").get().getStatus();
      assertThat(status.getResults())
          .extracting(VantageResult::getProxy)
          .containsExactlyInAnyOrderElementsOf(
              proxies(admin, NS, "vf").stream().map(p -> p.getMetadata().getName()).toList());
      assertThat(status.getResults())
          .allSatisfy(
              r -> {
                assertThat(r.getOutcome()).isEqualTo("Passed");
                assertThat(r.getFailedRounds()).isZero();
                assertThat(r.getIp())
                    .isIn(
                        proxies(admin, NS, "vf").stream()
                            .map(p -> p.getStatus().getPublicIp())
                            .toList());
              });
      assertThat(status.getReachable()).isEqualTo(2);
      assertThat(status.getUnreachable()).isZero();
      assertThat(status.getLastReportTime()).isNotBlank();
      assertThat(status.getConditions())
          .anySatisfy(
              c -> assertThat(c.getType() + "=" + c.getStatus()).isEqualTo("Reporting=True"));

      // Nothing changed: a second agent process in the same minute has nothing to report but the
      // heartbeat; this one keeps its state, so a second round writes nothing.
      try (KubernetesClient agent = server.client(agentToken);
          io.proxyfleet.vantage.ProbeAgent probeAgent =
              new io.proxyfleet.vantage.ProbeAgent(
                  agent,
                  NS,
                  "inside",
                  null,
                  new io.proxyfleet.probe.ProxyProbe.Target("127.0.0.1", origin.port()),
                  4,
                  java.time.Clock.systemUTC())) {
        assertThat(probeAgent.runOnce().reported()).as("first round of a new agent").isTrue();
        String afterFirst =
            admin
                .resources(Vantage.class)
                .inNamespace(NS)
                .withName("inside")
                .get()
                .getMetadata()
                .getResourceVersion();
        // (Its patch may leave the object as it was: the same results with a report time in the
        // same
        // second as the previous agent's, so the resourceVersion need not move here.)
        io.proxyfleet.vantage.ProbeAgent.Round second = probeAgent.runOnce();
        assertThat(second.probed()).isEqualTo(2);
        assertThat(second.reported()).as("unchanged results are not written again").isFalse();
        assertThat(
                admin
                    .resources(Vantage.class)
                    .inNamespace(NS)
                    .withName("inside")
                    .get()
                    .getMetadata()
                    .getResourceVersion())
            .isEqualTo(afterFirst);

        // The token is worth little to whoever takes the box.
        Vantage other = new Vantage();
        other.setStatus(new VantageStatus());
        other.getStatus().setReachable(99);
        assertForbidden(
            () ->
                agent
                    .resources(Vantage.class)
                    .inNamespace(NS)
                    .withName("elsewhere")
                    .subresource("status")
                    .patch(PatchContext.of(PatchType.JSON_MERGE), other));
        assertForbidden(
            () ->
                agent
                    .resources(Vantage.class)
                    .inNamespace(NS)
                    .withName("inside")
                    .patch(
                        PatchContext.of(PatchType.JSON_MERGE),
                        "{\"spec\":{\"fleets\":[\"secret-fleet\"]}}"));
        assertForbidden(() -> agent.secrets().inNamespace(NS).list());
        assertForbidden(
            () -> agent.secrets().inNamespace(NS).withName("secret-fleet-credentials").get());
        assertForbidden(() -> agent.secrets().inNamespace(NS).withName("vf-endpoints").get());
        assertForbidden(() -> agent.resources(ProxyFleet.class).inNamespace(NS).list());
        Proxy victim = proxies(admin, NS, "vf").get(0);
        assertForbidden(
            () ->
                agent
                    .resources(Proxy.class)
                    .inNamespace(NS)
                    .withName(victim.getMetadata().getName())
                    .patch(
                        PatchContext.of(PatchType.JSON_MERGE),
                        "{\"metadata\":{\"annotations\":{\"proxyfleet.io/rotate-ip\":\"x\"}}}"));
        assertForbidden(() -> agent.resources(Proxy.class).inAnyNamespace().list());
        assertThat(agent.secrets().inNamespace(NS).withName("vf-credentials").get()).isNotNull();
      }
      // The operator cleans up; the Vantages are the test's.
      admin.resources(ProxyFleet.class).inNamespace(NS).delete();
      await()
          .atMost(RealKube.TIMEOUT)
          .until(() -> admin.resources(Proxy.class).inNamespace(NS).list().getItems().isEmpty());
    }
  }

  private static void assertForbidden(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
  }
}
