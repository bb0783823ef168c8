package io.proxyfleet.realserver;

import static io.proxyfleet.realserver.RealServerFixtures.apply;
import static io.proxyfleet.realserver.RealServerFixtures.blocklist;
import static io.proxyfleet.realserver.RealServerFixtures.condition;
import static io.proxyfleet.realserver.RealServerFixtures.fleet;
import static io.proxyfleet.realserver.RealServerFixtures.profile;
import static io.proxyfleet.realserver.RealServerFixtures.settled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.operator.MalformedObjectsFuzzTest;
import io.proxyfleet.testing.kube.KubeApiServer;
import io.proxyfleet.testing.kube.OperatorProcess;
import io.proxyfleet.testing.kube.RealKube;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The malformed-object fuzz of {@link MalformedObjectsFuzzTest} against the real API server and the
 * shipped operator process: what the schema lets through (maxSurge and maxUnavailable both 0, for
 * one) must be marked on its object and never stop the operator, while a healthy fleet keeps
 * reconciling.
 */
@ExtendWith(RealKube.class)
class MalformedObjectsRealServerTest {

  static final String NS = "fuzz-real";

  @Test
  void malformedObjectsThatPassTheSchemaNeverStopTheOperator(
      KubeApiServer server, @TempDir Path work) throws Exception {
    KubernetesClient admin = server.admin();
    ShippedOperator.installRbac(admin);
    RealServerFixtures.namespace(admin, NS);
    try (OperatorProcess operator =
        ShippedOperator.start(
            ShippedOperator.kubeconfig(server, work),
            RealKube.logFile("MalformedObjectsRealServerTest", "operator"),
            "fuzz",
            NS)) {
      apply(admin, blocklist("fuzz-real-list"));
      apply(admin, profile(NS, "local"));
      apply(
          admin, fleet(NS, "steady", 1, "local", List.of("local-111"), List.of("fuzz-real-list")));
      await().atMost(RealKube.TIMEOUT).until(() -> settled(admin, NS, "steady", 1));

      // The reproduction from the issue, a string number past int, is refused by the schema's CEL
      // rule now; what still passes the schema but not the validator is marked on its object.
      String fleetWith =
          """
          apiVersion: proxyfleet.io/v1alpha1
          kind: ProxyFleet
          metadata: {name: %s, namespace: %s}
          spec:
            replicas: 1
            placement: [{cloudProfile: local, regions: [local-112]}]
            blocklists: [fuzz-real-list]
            rotation: %s
          """;
      assertThatThrownBy(
              () ->
                  apply(
                      admin, fleetWith.formatted("huge-surge", NS, "{maxSurge: \"99999999999\"}")))
          .isInstanceOfSatisfying(
              KubernetesClientException.class,
              e -> assertThat(e.getMessage()).contains("spec.rotation.maxSurge"));
      apply(
          admin,
          fleetWith.formatted("no-progress", NS, "{maxAge: 1h, maxSurge: 0, maxUnavailable: 0}"));
      await()
          .atMost(RealKube.TIMEOUT)
          .until(
              () ->
                  condition(RealServerFixtures.fleet(admin, NS, "no-progress"), "Degraded")
                      .filter(
                          c ->
                              c.getStatus().equals("True")
                                  && c.getReason().equals("InvalidSpec")
                                  && c.getMessage().contains("spec.rotation"))
                      .isPresent());

      SplittableRandom random = new SplittableRandom(MalformedObjectsFuzzTest.SEED);
      int accepted = 0;
      int rejected = 0;
      int replicas = 1;
      int total = 4 * 60;
      for (int i = 0; i < total; i++) {
        MalformedObjectsFuzzTest.Kind kind =
            MalformedObjectsFuzzTest.KINDS.get(i % MalformedObjectsFuzzTest.KINDS.size());
        ObjectNode object = MalformedObjectsFuzzTest.malformed(kind, "real-fuzz-" + i, random);
        GenericKubernetesResource raw =
            admin
                .getKubernetesSerialization()
                .convertValue(object, GenericKubernetesResource.class);
        var resources = admin.genericKubernetesResources(kind.context());
        try {
          (kind.context().isNamespaceScoped() ? resources.inNamespace("default") : resources)
              .resource(raw)
              .create();
          accepted++;
        } catch (KubernetesClientException e) {
          assertThat(e.getCode()).as(e.getMessage()).isIn(400, 422);
          rejected++;
        }
        if ((i + 1) % 40 == 0) {
          int want = replicas = replicas == 1 ? 2 : 1;
          admin.resources(ProxyFleet.class).inNamespace(NS).withName("steady").scale(want);
          await("healthy fleet converges after " + (i + 1) + " malformed objects")
              .atMost(RealKube.TIMEOUT)
              .until(() -> settled(admin, NS, "steady", want));
        }
      }
      System.out.printf(
          "real API server: %d malformed objects rejected by the schema, %d accepted and left to the operator%n",
          rejected, accepted);
      assertThat(rejected).as("the schema refuses most").isGreaterThan(accepted);
      assertThat(operator.isAlive()).isTrue();
      assertThat(operator.log())
          .doesNotContain("Stopping the operator")
          .doesNotContain("Fatal error in informer");
      assertThat(operator.forbiddenLines()).isEmpty();
    } finally {
      for (var kind : MalformedObjectsFuzzTest.KINDS) {
        var resources = admin.genericKubernetesResources(kind.context());
        (kind.context().isNamespaceScoped() ? resources.inNamespace("default") : resources)
            .withLabelSelector((String) null).list().getItems().stream()
                .filter(r -> r.getMetadata().getName().startsWith("real-fuzz-"))
                .forEach(r -> admin.resource(r).delete());
      }
    }
  }
}
