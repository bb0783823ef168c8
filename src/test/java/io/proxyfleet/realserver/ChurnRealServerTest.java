package io.proxyfleet.realserver;

import static io.proxyfleet.realserver.RealServerFixtures.apply;
import static io.proxyfleet.realserver.RealServerFixtures.blocklist;
import static io.proxyfleet.realserver.RealServerFixtures.fleet;
import static io.proxyfleet.realserver.RealServerFixtures.profile;
import static io.proxyfleet.realserver.RealServerFixtures.proxies;
import static io.proxyfleet.realserver.RealServerFixtures.settled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.testing.kube.KubeApiServer;
import io.proxyfleet.testing.kube.OperatorProcess;
import io.proxyfleet.testing.kube.RealKube;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet deleted and at once recreated under the same name, again and again, on a real API server
 * (no ownerReference garbage collector here, as on a cluster whose collector lags): each
 * incarnation must come up with Secrets of its own, never wedged on its predecessor's.
 */
@ExtendWith(RealKube.class)
class ChurnRealServerTest {

  static final String NS = "churn";
  static final int ROUNDS = 5;

  @Test
  void aFleetDeletedAndRecreatedUnderTheSameNameComesUpEveryTime(
      KubeApiServer server, @TempDir Path work) {
    KubernetesClient admin = server.admin();
    ShippedOperator.installRbac(admin);
    RealServerFixtures.namespace(admin, NS);
    try (OperatorProcess operator =
        ShippedOperator.start(
            ShippedOperator.kubeconfig(server, work),
            RealKube.logFile("ChurnRealServerTest", "operator"),
            "churn",
            NS)) {
      apply(admin, blocklist("churn-list"));
      apply(admin, profile(NS, "local"));
      for (int round = 1; round <= ROUNDS; round++) {
        apply(admin, fleet(NS, "churn", 2, "local", List.of("local-121"), List.of("churn-list")));
        int r = round;
        await("round " + r)
            .atMost(RealKube.TIMEOUT)
            .until(
                () ->
                    settled(admin, NS, "churn", 2)
                        && RealServerFixtures.endpoints(admin, NS, "churn") != null
                        && RealServerFixtures.endpoints(admin, NS, "churn").size() == 2);
        ProxyFleet current = RealServerFixtures.fleet(admin, NS, "churn");
        for (String name : List.of("churn-credentials", "churn-endpoints")) {
          Secret secret = admin.secrets().inNamespace(NS).withName(name).get();
          assertThat(secret.getMetadata().getOwnerReferences())
              .as(name + " in round " + r)
              .anyMatch(o -> o.getUid().equals(current.getMetadata().getUid()));
        }
        admin.resources(ProxyFleet.class).inNamespace(NS).withName("churn").delete();
        await("deletion in round " + r)
            .atMost(RealKube.TIMEOUT)
            .until(() -> RealServerFixtures.fleet(admin, NS, "churn") == null);
      }
      assertThat(proxies(admin, NS, "churn")).isEmpty();
      assertThat(operator.isAlive()).isTrue();
      assertThat(operator.log()).doesNotContain("Secret 'churn-credentials' not found");
    }
  }
}
