package io.proxyfleet.realserver;

import static io.proxyfleet.realserver.RealServerFixtures.apply;
import static io.proxyfleet.realserver.RealServerFixtures.blocklist;
import static io.proxyfleet.realserver.RealServerFixtures.endpoints;
import static io.proxyfleet.realserver.RealServerFixtures.fleet;
import static io.proxyfleet.realserver.RealServerFixtures.profile;
import static io.proxyfleet.realserver.RealServerFixtures.proxies;
import static io.proxyfleet.realserver.RealServerFixtures.settled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.testing.ProxyClients;
import io.proxyfleet.testing.kube.KubeApiServer;
import io.proxyfleet.testing.kube.KubeFaultProxy;
import io.proxyfleet.testing.kube.OperatorProcess;
import io.proxyfleet.testing.kube.RealKube;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API server misbehaving: down for 30 s, refusing with 403 for a while, answering 409 to every
 * other write. None of it may lose a proxy, leak a listener, or leave a status that lies.
 */
@ExtendWith(RealKube.class)
class ApiFaultsRealServerTest {

  static final Duration TIMEOUT = RealKube.TIMEOUT;

  @Test
  void anApiServerDownFor30SecondsLosesNothing(KubeApiServer server, @TempDir Path work) {
    String ns = "fault-down";
    KubernetesClient admin = server.admin();
    ShippedOperator.installRbac(admin);
    RealServerFixtures.namespace(admin, ns);
    try (OperatorProcess operator =
        ShippedOperator.start(
            ShippedOperator.kubeconfig(server, work),
            RealKube.logFile("ApiFaultsRealServerTest", "down"),
            "down",
            ns)) {
      Map<String, String> before = upAndServing(admin, ns, "down", 3, "local-101");
      server.stopApiServer();
      try {
        // Thirty seconds without a control plane: the proxies keep serving and the operator stays
        // up.
        await()
            .during(Duration.ofSeconds(30))
            .atMost(Duration.ofSeconds(40))
            .until(
                () ->
                    operator.isAlive()
                        && before.values().stream()
                            .allMatch(ip -> ProxyClients.acceptsTcp(ip, 1080)));
      } finally {
        server.restartApiServer();
      }
      await().atMost(TIMEOUT).until(() -> settled(admin, ns, "down", 3));
      assertThat(ips(proxies(admin, ns, "down")))
          .as("the same proxies on the same addresses")
          .isEqualTo(before);
      assertThat(endpoints(admin, ns, "down")).hasSize(3);
      // The operator watches again: a change after the outage is acted on.
      admin.resources(ProxyFleet.class).inNamespace(ns).withName("down").scale(4);
      await().atMost(TIMEOUT).until(() -> settled(admin, ns, "down", 4));
      tearDown(admin, ns, "down");
    }
  }

  @Test
  void aRevokedBindingStopsNothingAndRestoringItConverges(
      KubeApiServer server, @TempDir Path work) {
    String ns = "fault-forbidden";
    KubernetesClient admin = server.admin();
    ShippedOperator.installRbac(admin);
    RealServerFixtures.namespace(admin, ns);
    try (OperatorProcess operator =
        ShippedOperator.start(
            ShippedOperator.kubeconfig(server, work),
            RealKube.logFile("ApiFaultsRealServerTest", "forbidden"),
            "forbidden",
            ns)) {
      Map<String, String> before = upAndServing(admin, ns, "forbidden", 3, "local-102");
      ClusterRoleBinding binding =
          admin.rbac().clusterRoleBindings().withName(ShippedOperator.SERVICE_ACCOUNT).get();
      admin.rbac().clusterRoleBindings().withName(ShippedOperator.SERVICE_ACCOUNT).delete();
      try {
        await().atMost(TIMEOUT).until(() -> !operator.forbiddenLines().isEmpty());
        admin.resources(ProxyFleet.class).inNamespace(ns).withName("forbidden").scale(5);
        // While refused: nothing is torn down, every proxy keeps serving.
        await()
            .during(Duration.ofSeconds(10))
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> before.values().stream().allMatch(ip -> ProxyClients.acceptsTcp(ip, 1080)));
        assertThat(proxies(admin, ns, "forbidden")).hasSize(3);
      } finally {
        binding.getMetadata().setResourceVersion(null);
        admin.rbac().clusterRoleBindings().resource(binding).createOr(NonDeletingOperation::update);
      }
      await()
          .atMost(TIMEOUT.plus(Duration.ofMinutes(1)))
          .until(() -> settled(admin, ns, "forbidden", 5));
      Map<String, String> after = ips(proxies(admin, ns, "forbidden"));
      before.forEach((name, ip) -> assertThat(after).containsEntry(name, ip));
      assertThat(operator.isAlive()).isTrue();
      tearDown(admin, ns, "forbidden");
    }
  }

  @Test
  void conflictsOnEveryOtherWriteStillConverge(KubeApiServer server, @TempDir Path work)
      throws Exception {
    String ns = "fault-conflict";
    KubernetesClient admin = server.admin();
    ShippedOperator.installRbac(admin);
    RealServerFixtures.namespace(admin, ns);
    try (KubeFaultProxy proxy = new KubeFaultProxy(server.url())) {
      Path kubeconfig = ShippedOperator.kubeconfig(server, work);
      Files.writeString(
          kubeconfig, Files.readString(kubeconfig).replace(server.url(), proxy.url()));
      proxy.conflictEveryOtherWrite(true);
      try (OperatorProcess operator =
          ShippedOperator.start(
              kubeconfig,
              RealKube.logFile("ApiFaultsRealServerTest", "conflict"),
              "conflict",
              ns)) {
        Map<String, String> first = upAndServing(admin, ns, "conflict", 3, "local-103");
        admin.resources(ProxyFleet.class).inNamespace(ns).withName("conflict").scale(6);
        await().atMost(TIMEOUT).until(() -> settled(admin, ns, "conflict", 6));
        apply(admin, blocklist("conflict-list", first.values().iterator().next() + "/32"));
        String blocked = first.values().iterator().next();
        await()
            .atMost(TIMEOUT)
            .until(
                () ->
                    settled(admin, ns, "conflict", 6)
                        && !ips(proxies(admin, ns, "conflict")).containsValue(blocked));
        assertThat(proxy.conflictsSent()).as("the proxy did inject conflicts").isPositive();
        List<Proxy> all = proxies(admin, ns, "conflict");
        assertThat(all).hasSize(6);
        assertThat(ips(all).values())
            .doesNotHaveDuplicates()
            .allSatisfy(ip -> assertThat(ProxyClients.acceptsTcp(ip, 1080)).isTrue());
        // A pass that fails on an injected conflict still writes the fleet's real counts (with
        // Ready=False, ReconcileError), so readyReplicas may reach 6 a pass before the Secret does.
        await().atMost(TIMEOUT).until(() -> endpoints(admin, ns, "conflict").size() == 6);
        assertThat(operator.isAlive()).isTrue();
        proxy.conflictEveryOtherWrite(false);
        tearDown(admin, ns, "conflict");
      }
    }
  }

  private static Map<String, String> upAndServing(
      KubernetesClient admin, String ns, String name, int replicas, String region) {
    apply(admin, blocklist(name + "-list"));
    apply(admin, profile(ns, "local"));
    apply(admin, fleet(ns, name, replicas, "local", List.of(region), List.of(name + "-list")));
    await().atMost(TIMEOUT).until(() -> settled(admin, ns, name, replicas));
    return ips(proxies(admin, ns, name));
  }

  private static void tearDown(KubernetesClient admin, String ns, String name) {
    admin.resources(ProxyFleet.class).inNamespace(ns).withName(name).delete();
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                RealServerFixtures.fleet(admin, ns, name) == null
                    && proxies(admin, ns, name).isEmpty());
  }

  private static Map<String, String> ips(List<Proxy> proxies) {
    return proxies.stream()
        .filter(p -> p.getStatus() != null && p.getStatus().getPublicIp() != null)
        .collect(
            Collectors.toMap(p -> p.getMetadata().getName(), p -> p.getStatus().getPublicIp()));
  }
}
