package io.proxyfleet.operator;

import static io.proxyfleet.operator.Fixtures.apply;
import static io.proxyfleet.operator.Fixtures.blocklist;
import static io.proxyfleet.operator.Fixtures.fleet;
import static io.proxyfleet.operator.Fixtures.fleetReady;
import static io.proxyfleet.operator.Fixtures.profile;
import static io.proxyfleet.operator.Fixtures.proxies;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.FleetBlocklists;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.cloud.local.LocalCensor;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.local.LocalEnvironment;
import io.proxyfleet.probe.ProxyProbe;
import io.proxyfleet.replay.SimulatedClock;
import io.proxyfleet.vantage.ProbeAgent;
import io.proxyfleet.vantage.ReachabilityController;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Blocks nobody publishes, end to end in local mode: the censor drops one proxy's address for
 * connections from inside; the vantage there reports it; the operator's own check still passes; so
 * the address is learned as blocked and the fleet moves the proxy to a clean one. A dead daemon is
 * replaced instead. The probe passes run on a simulated clock, the fleet on the real one.
 */
class ReachabilityTest {

  static final Duration TIMEOUT = Duration.ofSeconds(30);
  LocalEnvironment env;
  KubernetesClient client;
  SimulatedClock clock;
  ProbeAgent agent;
  ReachabilityController controller;
  Recorded seen = new Recorded();

  /** What the checks told their observer (the metrics' source). */
  static final class Recorded implements io.proxyfleet.vantage.ReachabilityObserver {
    final java.util.Map<io.proxyfleet.probe.ProbeOutcome, Integer> checks =
        new java.util.concurrent.ConcurrentHashMap<>();
    final List<Duration> recoveries = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile java.util.Map<String, VantageReport> vantages = java.util.Map.of();

    @Override
    public void checked(io.proxyfleet.probe.ProbeOutcome outcome) {
      checks.merge(outcome, 1, Integer::sum);
    }

    @Override
    public void vantages(java.util.Map<String, VantageReport> reports) {
      vantages = reports;
    }

    @Override
    public void servingAgain(Duration sinceFirstFailedInsideProbe) {
      recoveries.add(sinceFirstFailedInsideProbe);
    }
  }

  @BeforeEach
  void start() {
    env = Fixtures.start();
    client = env.client();
    apply(env, profile("local", 4, "0s"));
    apply(env, blocklist("none", List.of()));
    clock = new SimulatedClock(Instant.now());
    ProxyProbe.Target target = new ProxyProbe.Target("127.0.0.1", 9);
    agent =
        new ProbeAgent(client, "default", "inside", LocalCensor.insideAddress(1), target, 4, clock);
    controller =
        new ReachabilityController(
            client,
            new EventRecorder(client, clock, "proxyfleet"),
            clock,
            null,
            target,
            4,
            Set.of());
    controller.observe(seen);
  }

  @AfterEach
  void stop() {
    agent.close();
    controller.close();
    env.close();
  }

  private void vantage(String fleet) {
    apply(
        env,
        """
        apiVersion: proxyfleet.io/v1alpha1
        kind: Vantage
        metadata: {name: inside, namespace: default}
        spec:
          network: {country: RU, asn: 12389}
          fleets: [%s]
          reportInterval: 10s
          probeTimeout: 2s
        """
            .formatted(fleet));
  }

  private Optional<Condition> reachable(Proxy p) {
    return p.getStatus().getConditions().stream()
        .filter(c -> ReachabilityController.REACHABLE.equals(c.getType()))
        .findFirst();
  }

  /**
   * One probing round: the vantage reports, then the operator checks and decides, 10 s later each.
   */
  private ReachabilityController.Pass round() throws InterruptedException {
    if (client
            .resources(io.proxyfleet.api.Vantage.class)
            .inNamespace("default")
            .withName("inside")
            .get()
        != null) {
      agent.runOnce();
    }
    ReachabilityController.Pass pass = controller.pass();
    clock.advance(Duration.ofSeconds(10));
    return pass;
  }

  @Test
  void aProxyCensoredFromInsideIsLearnedAsBlockedAndMovedToACleanAddress() throws Exception {
    apply(
        env,
        fleet(
            "rf",
            3,
            "socks5",
            1080,
            "local",
            List.of("local-41"),
            List.of("none"),
            "  health: {interval: 10s, grace: 30s, timeout: 2s}\n"));
    vantage("rf");
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "rf", 3));

    assertThat(round().checked()).isEqualTo(3);
    assertThat(proxies(client, "rf"))
        .allSatisfy(
            p ->
                assertThat(reachable(p))
                    .get()
                    .satisfies(
                        c ->
                            assertThat(c.getStatus() + "/" + c.getReason())
                                .isEqualTo("True/Reachable")));

    Proxy victim = proxies(client, "rf").get(0);
    String censored = victim.getStatus().getPublicIp();
    env.network().censor().censor(censored);
    assertThat(round().blocked()).as("one failed round is not yet a block").isZero();
    assertThat(round().blocked()).isEqualTo(1);

    Blocklist learned =
        client
            .resources(Blocklist.class)
            .withName(FleetBlocklists.learnedName("default", "rf"))
            .get();
    assertThat(learned.getSpec().getCidrs()).containsExactly(censored + "/32");
    // The fleet treats the learned list like any other: the proxy gets a clean address.
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                fleetReady(client, "rf", 3)
                    && proxies(client, "rf").stream()
                        .noneMatch(p -> censored.equals(p.getStatus().getPublicIp())));
    Proxy moved =
        client
            .resources(Proxy.class)
            .inNamespace("default")
            .withName(victim.getMetadata().getName())
            .get();
    assertThat(moved.getMetadata().getUid())
        .as("same VM, new IP")
        .isEqualTo(victim.getMetadata().getUid());
    assertThat(Fixtures.events(client, victim.getMetadata().getName()))
        .anySatisfy(
            e -> {
              assertThat(e.getReason()).isEqualTo("UnreachableFromVantage");
              assertThat(e.getMessage()).contains(censored).contains("inside");
            });
    // From inside, every published address answers again.
    ReachabilityController.Pass after = round();
    assertThat(after.blocked()).isZero();
    // Measured from the first failed inside probe (round 2) on the checks' clock: the confirming
    // round, and the round that reached the new address.
    assertThat(seen.recoveries)
        .singleElement()
        .satisfies(d -> assertThat(d).isBetween(Duration.ofSeconds(10), Duration.ofSeconds(60)));
    assertThat(seen.checks.get(io.proxyfleet.probe.ProbeOutcome.PASSED))
        .isGreaterThanOrEqualTo(3 * 4);
    assertThat(seen.vantages).containsOnlyKeys("default/inside");
    assertThat(seen.vantages.get("default/inside").accepted()).isTrue();
    assertThat(
            seen.vantages
                .get("default/inside")
                .results()
                .get(io.proxyfleet.probe.ProbeOutcome.PASSED))
        .isEqualTo(3);
  }

  @Test
  void aDeadDaemonIsReplacedNotRotatedAndAWholeFleetFailingIsHeld() throws Exception {
    apply(
        env,
        fleet(
            "hf",
            3,
            "socks5",
            1080,
            "local",
            List.of("local-42"),
            List.of("none"),
            "  health: {interval: 10s, grace: 20s, timeout: 2s}\n"));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "hf", 3));
    assertThat(round().checked()).isEqualTo(3);

    Proxy dead = proxies(client, "hf").get(0);
    assertThat(env.network().setDaemonRunning(dead.getStatus().getInstanceId(), false)).isTrue();
    assertThat(round().unhealthy()).as("failing, within the grace").isZero();
    assertThat(
            client
                .resources(Proxy.class)
                .inNamespace("default")
                .withName(dead.getMetadata().getName())
                .get()
                .getStatus()
                .getConditions())
        .anySatisfy(
            c ->
                assertThat(c.getType() + "=" + c.getStatus() + "/" + c.getReason())
                    .isEqualTo("Reachable=True/Failing"));
    round();
    ReachabilityController.Pass pass = round();
    assertThat(pass.unhealthy()).isEqualTo(1);
    assertThat(pass.replaced()).as("first the Proxy says why").isZero();
    assertThat(
            client
                .resources(Proxy.class)
                .inNamespace("default")
                .withName(dead.getMetadata().getName())
                .get()
                .getStatus()
                .getConditions())
        .anySatisfy(
            c ->
                assertThat(c.getType() + "=" + c.getStatus() + "/" + c.getReason())
                    .isEqualTo("Reachable=False/Unhealthy"));
    pass = round();
    assertThat(pass.replaced()).as("then it is replaced").isEqualTo(1);
    assertThat(seen.checks).containsKey(io.proxyfleet.probe.ProbeOutcome.REFUSED);
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                fleetReady(client, "hf", 3)
                    && proxies(client, "hf").stream()
                        .noneMatch(
                            p -> p.getMetadata().getUid().equals(dead.getMetadata().getUid())));
    assertThat(Fixtures.events(client, dead.getMetadata().getName()))
        .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("Unhealthy"));

    // Every daemon dead at once looks like the operator's own network: nothing is deleted.
    for (Proxy p : proxies(client, "hf")) {
      env.network().setDaemonRunning(p.getStatus().getInstanceId(), false);
    }
    for (int i = 0; i < 4; i++) {
      round();
    }
    ReachabilityController.Pass held = round();
    assertThat(held.unhealthy()).isEqualTo(3);
    assertThat(held.replaced()).isZero();
  }

  @Test
  void vantagesAreToldWhetherTheirReportsCount() throws Exception {
    apply(
        env,
        fleet(
            "vf",
            2,
            "socks5",
            1080,
            "local",
            List.of("local-43"),
            List.of("none"),
            "  health: {interval: 10s, grace: 30s, timeout: 2s}\n"));
    vantage("vf");
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "vf", 2));
    controller.pass();
    assertThat(accepted()).isEqualTo("False/NoReport");
    round();
    assertThat(accepted()).isEqualTo("True/Accepted");

    // Results for proxies outside its fleets are ignored, and it is told so.
    io.proxyfleet.api.Vantage v =
        client
            .resources(io.proxyfleet.api.Vantage.class)
            .inNamespace("default")
            .withName("inside")
            .get();
    io.proxyfleet.api.VantageResult ghost = new io.proxyfleet.api.VantageResult();
    ghost.setProxy("not-a-proxy");
    ghost.setIp("203.0.113.9");
    ghost.setOutcome("Timeout");
    ghost.setFailedRounds(5);
    v.getStatus().getResults().add(ghost);
    client.resource(v).updateStatus();
    controller.pass();
    assertThat(accepted()).isEqualTo("False/UnknownProxies");
    assertThat(
            client
                .resources(io.proxyfleet.api.Vantage.class)
                .inNamespace("default")
                .withName("inside")
                .get()
                .getStatus()
                .getConditions())
        .anySatisfy(c -> assertThat(c.getMessage()).contains("not-a-proxy"));

    // Silent past its heartbeat: its results are ignored, and the fleet hears about it.
    clock.advance(ProbeAgent.HEARTBEAT.plusMinutes(2));
    ReachabilityController.Pass pass = controller.pass();
    assertThat(accepted()).isEqualTo("False/Silent");
    assertThat(pass.blocked()).isZero();
    assertThat(Fixtures.events(client, "vf"))
        .anySatisfy(
            e -> {
              assertThat(e.getReason()).isEqualTo("VantageSilent");
              assertThat(e.getMessage()).contains("inside");
            });
    assertThat(seen.vantages.get("default/inside").accepted()).isFalse();
    // The fleet says so in its conditions, naming the vantage, and stays Ready: lists still work.
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(fleetCondition("vf", "Degraded"))
                    .satisfies(
                        c -> {
                          assertThat(c.getStatus() + "/" + c.getReason())
                              .isEqualTo("True/VantageSilent");
                          assertThat(c.getMessage())
                              .contains("Vantage inside")
                              .contains("probe-agent");
                        }));
    assertThat(fleetCondition("vf", "Ready").getStatus()).isEqualTo("True");
    // Its agent comes back.
    round();
    assertThat(accepted()).isEqualTo("True/Accepted");
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> assertThat(fleetCondition("vf", "Degraded").getStatus()).isEqualTo("False"));
  }

  private Condition fleetCondition(String fleet, String type) {
    return client
        .resources(io.proxyfleet.api.ProxyFleet.class)
        .inNamespace("default")
        .withName(fleet)
        .get()
        .getStatus()
        .getConditions()
        .stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .orElseThrow();
  }

  private String accepted() {
    return client
        .resources(io.proxyfleet.api.Vantage.class)
        .inNamespace("default")
        .withName("inside")
        .get()
        .getStatus()
        .getConditions()
        .stream()
        .filter(c -> ReachabilityController.ACCEPTED.equals(c.getType()))
        .map(c -> c.getStatus() + "/" + c.getReason())
        .findFirst()
        .orElse("none");
  }
}
