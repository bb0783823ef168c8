package io.proxyfleet.realserver;

import static io.proxyfleet.realserver.RealServerFixtures.apply;
import static io.proxyfleet.realserver.RealServerFixtures.blocklist;
import static io.proxyfleet.realserver.RealServerFixtures.fleet;
import static io.proxyfleet.realserver.RealServerFixtures.profile;
import static io.proxyfleet.realserver.RealServerFixtures.proxies;
import static io.proxyfleet.realserver.RealServerFixtures.settled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.testing.ProxyClients;
import io.proxyfleet.testing.kube.KubeApiServer;
import io.proxyfleet.testing.kube.OperatorProcess;
import io.proxyfleet.testing.kube.RealKube;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 in the middle of a scale-up: the next process ends with exactly the replicas asked for.
 */
@ExtendWith(RealKube.class)
class RestartRealServerTest {

  static final String NS = "restart";

  @Test
  void killDuringScaleUpLeavesExactlyTheDesiredProxies(KubeApiServer server, @TempDir Path work)
      throws InterruptedException {
    KubernetesClient admin = server.admin();
    ShippedOperator.installRbac(admin);
    RealServerFixtures.namespace(admin, NS);
    Path kubeconfig = ShippedOperator.kubeconfig(server, work);
    List<String> lies = new CopyOnWriteArrayList<>();
    ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor();
    try {
      OperatorProcess first =
          ShippedOperator.start(
              kubeconfig, RealKube.logFile("RestartRealServerTest", "first"), "restart", NS);
      try {
        apply(admin, blocklist("restart-list"));
        apply(admin, profile(NS, "local"));
        apply(
            admin,
            fleet(
                NS,
                "restart",
                3,
                "local",
                List.of("local-91", "local-92"),
                List.of("restart-list")));
        await().atMost(RealKube.TIMEOUT).until(() -> settled(admin, NS, "restart", 3));
        // Status is read before the Proxies: during a scale-up Proxies only appear, so a ready
        // count above the Proxies listed afterwards is a lie, not a race.
        watcher.scheduleWithFixedDelay(
            () -> {
              try {
                ProxyFleet f = RealServerFixtures.fleet(admin, NS, "restart");
                int exist = proxies(admin, NS, "restart").size();
                if (f != null
                    && f.getStatus() != null
                    && f.getStatus().getReadyReplicas() > exist) {
                  lies.add(
                      "readyReplicas "
                          + f.getStatus().getReadyReplicas()
                          + " with "
                          + exist
                          + " Proxies");
                }
              } catch (RuntimeException e) {
                // The API answering slowly is not a lie.
              }
            },
            0,
            100,
            TimeUnit.MILLISECONDS);
        admin.resources(ProxyFleet.class).inNamespace(NS).withName("restart").scale(20);
        await().atMost(RealKube.TIMEOUT).until(() -> proxies(admin, NS, "restart").size() > 3);
      } finally {
        first.kill();
      }
      try (OperatorProcess second =
          ShippedOperator.start(
              kubeconfig, RealKube.logFile("RestartRealServerTest", "second"), "restart", NS)) {
        await()
            .atMost(RealKube.TIMEOUT.plus(Duration.ofSeconds(30)))
            .until(() -> settled(admin, NS, "restart", 20));
        List<Proxy> all = proxies(admin, NS, "restart");
        assertThat(all).hasSize(20);
        List<String> ips = all.stream().map(p -> p.getStatus().getPublicIp()).toList();
        assertThat(ips).as("one listener per proxy, no address twice").doesNotHaveDuplicates();
        ips.forEach(ip -> assertThat(ProxyClients.acceptsTcp(ip, 1080)).as(ip).isTrue());
        assertThat(second.forbiddenLines()).isEmpty();
        // Deleting the fleet takes its Proxies first while its status keeps the last count: stop
        // watching.
        watcher.shutdownNow();
        watcher.awaitTermination(5, TimeUnit.SECONDS);
        admin.resources(ProxyFleet.class).inNamespace(NS).withName("restart").delete();
        await()
            .atMost(RealKube.TIMEOUT)
            .until(() -> RealServerFixtures.fleet(admin, NS, "restart") == null);
      }
    } finally {
      watcher.shutdownNow();
    }
    assertThat(lies).isEmpty();
  }
}
