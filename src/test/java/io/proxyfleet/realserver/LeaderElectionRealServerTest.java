package io.proxyfleet.realserver;

import static io.proxyfleet.realserver.RealServerFixtures.apply;
import static io.proxyfleet.realserver.RealServerFixtures.blocklist;
import static io.proxyfleet.realserver.RealServerFixtures.fleet;
import static io.proxyfleet.realserver.RealServerFixtures.profile;
import static io.proxyfleet.realserver.RealServerFixtures.settled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.operator.LeaderElectionSettings;
import io.proxyfleet.testing.ProxyClients;
import io.proxyfleet.testing.kube.KubeApiServer;
import io.proxyfleet.testing.kube.OperatorProcess;
import io.proxyfleet.testing.kube.RealKube;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two operator processes with the same pod name (so the same $HOSTNAME): only the leader
 * reconciles, SIGTERM hands over within seconds with the Lease released, and kill -9 hands over
 * within the lease duration.
 */
@ExtendWith(RealKube.class)
class LeaderElectionRealServerTest {

  static final String NS = "leader-election";
  static final Duration LEASE = LeaderElectionSettings.defaults("x", "y").leaseDuration();

  KubeApiServer server;
  KubernetesClient admin;
  OperatorProcess a;
  OperatorProcess b;

  @BeforeEach
  void setUp(KubeApiServer s) {
    server = s;
    admin = s.admin();
    ShippedOperator.installRbac(admin);
    RealServerFixtures.namespace(admin, NS);
    // Start from no Lease so the first process to start leads.
    admin.leases().inNamespace(NS).withName(LeaderElectionSettings.LEASE_NAME).delete();
    await()
        .atMost(RealKube.TIMEOUT)
        .until(
            () ->
                admin.leases().inNamespace(NS).withName(LeaderElectionSettings.LEASE_NAME).get()
                    == null);
  }

  @AfterEach
  void tearDown() {
    if (a != null) a.close();
    if (b != null) b.close();
    admin.resources(ProxyFleet.class).inNamespace(NS).delete();
  }

  String holder() {
    Lease lease = admin.leases().inNamespace(NS).withName(LeaderElectionSettings.LEASE_NAME).get();
    return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
  }

  @Test
  void sigtermHandsOverWithinSecondsAndKillHandsOverWithinTheLease(@TempDir Path work) {
    Path kubeconfig = ShippedOperator.kubeconfig(server, work);
    // The same pod name on purpose: identities must still differ.
    a =
        ShippedOperator.start(
            kubeconfig, RealKube.logFile("LeaderElectionRealServerTest", "a"), "proxyfleet-0", NS);
    await()
        .atMost(RealKube.TIMEOUT)
        .until(() -> holder() != null && a.log().contains("Started leading"));
    String leaderA = holder();
    b =
        ShippedOperator.start(
            kubeconfig, RealKube.logFile("LeaderElectionRealServerTest", "b"), "proxyfleet-0", NS);
    await().atMost(RealKube.TIMEOUT).until(() -> b.log().contains("proxyfleet operator started"));
    assertThat(leaderA).startsWith("proxyfleet-0-");

    apply(admin, blocklist("le-list"));
    apply(admin, profile(NS, "local"));
    apply(admin, fleet(NS, "le", 2, "local", List.of("local-71"), List.of("le-list")));
    await().atMost(RealKube.TIMEOUT).until(() -> settled(admin, NS, "le", 2));
    assertThat(a.log()).contains("LaunchingProxy").doesNotContain("Lost the leader Lease");
    assertThat(b.log())
        .as("the standby never reconciles")
        .doesNotContain("Started leading")
        .doesNotContain("LaunchingProxy");
    assertThat(holder()).isEqualTo(leaderA);

    // SIGTERM: the leader exits within 10 s, its listeners closed and the Lease released; the
    // standby leads within 5 s.
    List<String> ipsOfA =
        RealServerFixtures.serving(admin, NS, "le").stream()
            .map(p -> p.getStatus().getPublicIp())
            .toList();
    Duration exit = a.terminate(Duration.ofSeconds(10));
    assertThat(exit).as("exit after SIGTERM\n" + a.log()).isNotNull();
    long releasedAt = System.nanoTime();
    assertThat(a.log()).contains("Released the leader Lease");
    ipsOfA.forEach(
        ip ->
            assertThat(ProxyClients.acceptsTcp(ip, 1080))
                .as("listener on " + ip + " closed")
                .isFalse());
    AtomicReference<String> leaderB = new AtomicReference<>();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              String h = holder();
              leaderB.set(h);
              return h != null && !h.equals(leaderA);
            });
    Duration handOver = Duration.ofNanos(System.nanoTime() - releasedAt);
    assertThat(leaderB.get()).startsWith("proxyfleet-0-").isNotEqualTo(leaderA);
    await().atMost(RealKube.TIMEOUT).until(() -> b.log().contains("Started leading"));
    // The new leader serves the fleet again.
    await().atMost(RealKube.TIMEOUT).until(() -> settled(admin, NS, "le", 2));
    System.out.printf(
        "leader election: SIGTERM exit %d ms, standby leading %d ms after exit%n",
        exit.toMillis(), handOver.toMillis());

    // kill -9 of the new leader: a third process takes over once the lease expires.
    OperatorProcess c =
        ShippedOperator.start(
            kubeconfig, RealKube.logFile("LeaderElectionRealServerTest", "c"), "proxyfleet-0", NS);
    try {
      await().atMost(RealKube.TIMEOUT).until(() -> c.log().contains("proxyfleet operator started"));
      b.kill();
      long killedAt = System.nanoTime();
      await()
          .atMost(LEASE.plusSeconds(5))
          .until(
              () -> {
                String h = holder();
                return h != null && !h.equals(leaderB.get());
              });
      Duration afterKill = Duration.ofNanos(System.nanoTime() - killedAt);
      assertThat(afterKill).isLessThanOrEqualTo(LEASE.plusSeconds(5));
      await().atMost(RealKube.TIMEOUT).until(() -> c.log().contains("Started leading"));
      System.out.printf(
          "leader election: after kill -9 the standby led in %d ms (lease %d s)%n",
          afterKill.toMillis(), LEASE.toSeconds());
      await().atMost(RealKube.TIMEOUT).until(() -> settled(admin, NS, "le", 2));
      assertThat(c.forbiddenLines()).isEmpty();
    } finally {
      c.close();
    }
    assertThat(a.forbiddenLines()).isEmpty();
  }
}
