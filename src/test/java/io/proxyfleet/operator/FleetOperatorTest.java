package io.proxyfleet.operator;

import static io.proxyfleet.operator.Fixtures.apply;
import static io.proxyfleet.operator.Fixtures.blocklist;
import static io.proxyfleet.operator.Fixtures.fleet;
import static io.proxyfleet.operator.Fixtures.fleetReady;
import static io.proxyfleet.operator.Fixtures.ipsByName;
import static io.proxyfleet.operator.Fixtures.profile;
import static io.proxyfleet.operator.Fixtures.proxies;
import static io.proxyfleet.operator.Fixtures.running;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.block.IpRange;
import io.proxyfleet.local.LocalEnvironment;
import io.proxyfleet.testing.OriginServer;
import io.proxyfleet.testing.ProxyClients;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator end to end: real JOSDK controllers against the embedded API server (Fabric8 mock
 * server in CRUD mode) and real loopback proxies. Each test uses its own fleet and regions.
 */
class FleetOperatorTest {

  static LocalEnvironment env;
  static KubernetesClient client;
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  @BeforeAll
  static void start() {
    env = Fixtures.start();
    client = env.client();
    apply(env, profile("local", 4, "0s"));
    apply(env, profile("one-subnet", 1, "0s"));
  }

  @AfterAll
  static void stop() {
    env.close();
  }

  static boolean inRange(String ip, String cidr) {
    IpRange r = IpAddresses.parseRange(cidr);
    long v = IpAddresses.parseIpv4(ip);
    return r.startLo() <= v && v <= r.endLo();
  }

  @Test
  void fleetComesUpSpreadOverRegionsAndSubnetsAndPublishesEndpoints() throws Exception {
    apply(env, blocklist("spread-list", List.of()));
    apply(
        env,
        fleet(
            "spread",
            6,
            "socks5",
            1080,
            "local",
            List.of("local-11", "local-12"),
            List.of("spread-list"),
            ""));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "spread", 6));

    List<Proxy> all = proxies(client, "spread");
    Map<String, List<Proxy>> byRegion =
        all.stream().collect(Collectors.groupingBy(p -> p.getSpec().getRegion()));
    assertThat(byRegion).containsOnlyKeys("local-11", "local-12");
    byRegion
        .values()
        .forEach(
            list -> {
              assertThat(list).hasSize(3);
              assertThat(list.stream().map(p -> p.getSpec().getSubnet()).distinct())
                  .as("spread over subnets")
                  .hasSize(3);
            });
    for (Proxy p : all) {
      int region = Integer.parseInt(p.getSpec().getRegion().substring("local-".length()));
      int subnet =
          Integer.parseInt(
              p.getSpec().getSubnet().substring(p.getSpec().getSubnet().lastIndexOf('s') + 1));
      assertThat(p.getStatus().getPublicIp())
          .as("first IP drawn in the proxy's own subnet")
          .startsWith("127." + region + "." + subnet + ".");
      assertThat(p.getMetadata().getFinalizers()).contains("proxyfleet.io/cleanup");
      assertThat(p.getMetadata().getOwnerReferences())
          .singleElement()
          .satisfies(o -> assertThat(o.getKind()).isEqualTo("ProxyFleet"));
    }

    ProxyFleet f = Fixtures.fleet(client, "spread");
    assertThat(Fixtures.condition(f, "Ready", c -> c.getStatus())).isEqualTo("True");
    assertThat(Fixtures.condition(f, "Degraded", c -> c.getStatus())).isEqualTo("False");
    assertThat(f.getStatus().getObservedGeneration()).isEqualTo(f.getMetadata().getGeneration());
    assertThat(f.getStatus().getRegions())
        .extracting(r -> r.getRegion() + "=" + r.getReady())
        .containsExactly("local-11=3", "local-12=3");

    JsonNode endpoints = new ObjectMapper().readTree(Fixtures.endpointsJson(client, "spread"));
    assertThat(endpoints).hasSize(6);
    for (JsonNode e : endpoints) {
      assertThat(e.get("uri").asText())
          .startsWith("socks5://pf-")
          .endsWith("@" + e.get("ip").asText() + ":1080");
      assertThat(e.get("protocol").asText()).isEqualTo("socks5");
    }
  }

  @Test
  void trafficPassesThroughSocks5AndHttpProxiesWithTheEndpointCredentials() throws Exception {
    apply(env, blocklist("traffic-list", List.of()));
    apply(
        env,
        fleet(
            "traffic-socks",
            2,
            "socks5",
            1080,
            "local",
            List.of("local-13"),
            List.of("traffic-list"),
            ""));
    apply(
        env,
        fleet(
            "traffic-http",
            2,
            "http",
            8080,
            "local",
            List.of("local-14"),
            List.of("traffic-list"),
            ""));
    await()
        .atMost(TIMEOUT)
        .until(
            () -> fleetReady(client, "traffic-socks", 2) && fleetReady(client, "traffic-http", 2));
    try (OriginServer origin = OriginServer.onLoopback()) {
      for (String fleet : List.of("traffic-socks", "traffic-http")) {
        await()
            .atMost(TIMEOUT)
            .until(
                () ->
                    new ObjectMapper().readTree(Fixtures.endpointsJson(client, fleet)).size() == 2);
        for (JsonNode e : new ObjectMapper().readTree(Fixtures.endpointsJson(client, fleet))) {
          URI uri = URI.create(e.get("uri").asText());
          assertThat(ProxyClients.get(uri, origin.url())).as(fleet).isEqualTo(OriginServer.BODY);
          URI wrong =
              URI.create(
                  uri.getScheme()
                      + "://"
                      + uri.getUserInfo().split(":")[0]
                      + ":wrong@"
                      + uri.getHost()
                      + ":"
                      + uri.getPort());
          assertThat(ProxyClients.refuses(wrong, origin.url()))
              .as(fleet + " refuses a wrong password")
              .isTrue();
        }
      }
    }
  }

  @Test
  void blockingARangeMovesExactlyTheAffectedProxiesToCleanIps() {
    apply(env, blocklist("block-list", List.of()));
    apply(
        env,
        fleet(
            "block",
            8,
            "socks5",
            1080,
            "local",
            List.of("local-21", "local-22"),
            List.of("block-list"),
            ""));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "block", 8));
    Map<String, String> before = ipsByName(proxies(client, "block"));
    String range = "127.21.0.0/24";
    Set<String> affected =
        before.entrySet().stream()
            .filter(e -> inRange(e.getValue(), range))
            .map(Map.Entry::getKey)
            .collect(Collectors.toSet());
    assertThat(affected).as("the spread puts proxies in subnet 0 of local-21").isNotEmpty();

    client
        .resources(Blocklist.class)
        .withName("block-list")
        .edit(
            b -> {
              b.getSpec().setCidrs(List.of(range));
              return b;
            });

    await()
        .atMost(TIMEOUT)
        .until(
            () -> {
              Map<String, String> now = ipsByName(running(client, "block"));
              return now.keySet().equals(before.keySet())
                  && affected.stream().noneMatch(n -> inRange(now.get(n), range));
            });
    Map<String, String> after = ipsByName(proxies(client, "block"));
    assertThat(after.keySet())
        .as("ReassignIP keeps the same proxies (same VMs)")
        .isEqualTo(before.keySet());
    before.forEach(
        (name, ip) -> {
          if (affected.contains(name)) {
            assertThat(after.get(name)).as(name).isNotEqualTo(ip).startsWith("127.21.");
          } else {
            assertThat(after.get(name))
                .as(name + " was not blocked and keeps its IP")
                .isEqualTo(ip);
          }
        });
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              ProxyFleet f = Fixtures.fleet(client, "block");
              assertThat(f.getStatus().getRotations()).isEqualTo(affected.size());
              assertThat(f.getStatus().getRotationsByReason())
                  .containsEntry("Blocked", (long) affected.size());
              assertThat(f.getStatus().getBlockedReplicas()).isZero();
            });
    var cloud = new io.proxyfleet.cloud.local.LocalCloudProvider(env.network(), 4, Duration.ZERO);
    assertThat(
            cloud.listManagedAddresses("local-21", "test").size()
                + cloud.listManagedAddresses("local-22", "test").size())
        .as("rotation released every old address: exactly one per proxy")
        .isEqualTo(8);
    String someone = affected.iterator().next();
    assertThat(Fixtures.events(client, someone))
        .anyMatch(e -> "IPRotated".equals(e.getReason()) && e.getMessage().contains("Moved from"));
    assertThat(Fixtures.events(client, "block"))
        .anyMatch(
            e ->
                "RotatingIP".equals(e.getReason())
                    && e.getMessage().contains("block-list (127.21.0.0/24)"));
  }

  @Test
  void replacePolicyReplacesBlockedProxiesWithNewOnes() {
    apply(env, blocklist("replace-list", List.of()));
    apply(
        env,
        fleet(
            "replace",
            4,
            "socks5",
            1080,
            "local",
            List.of("local-23"),
            List.of("replace-list"),
            "  rotation: {onBlocked: Replace}\n"));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "replace", 4));
    Map<String, String> before = ipsByName(proxies(client, "replace"));
    String victim = before.keySet().iterator().next();
    client
        .resources(Blocklist.class)
        .withName("replace-list")
        .edit(
            b -> {
              b.getSpec().setCidrs(List.of(before.get(victim) + "/32"));
              return b;
            });
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                fleetReady(client, "replace", 4)
                    && !ipsByName(proxies(client, "replace")).containsKey(victim));
    Set<String> after = ipsByName(proxies(client, "replace")).keySet();
    Set<String> kept = new HashSet<>(before.keySet());
    kept.remove(victim);
    assertThat(after).containsAll(kept).hasSize(4).doesNotContain(victim);
  }

  @Test
  void ageRotationKeepsEveryReplicaServingAndReplacesAllProxies() {
    apply(env, blocklist("age-list", List.of()));
    apply(
        env,
        fleet(
            "age",
            4,
            "socks5",
            1080,
            "local",
            List.of("local-24"),
            List.of("age-list"),
            "  launchTimeout: 3s\n  rotation: {maxAge: 4s, maxSurge: 1, maxUnavailable: 0}\n"));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "age", 4));
    Set<String> originals = ipsByName(proxies(client, "age")).keySet();
    AtomicInteger minRunning = new AtomicInteger(Integer.MAX_VALUE);
    AtomicInteger maxExisting = new AtomicInteger();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              List<Proxy> now = proxies(client, "age");
              minRunning.accumulateAndGet(running(client, "age").size(), Math::min);
              maxExisting.accumulateAndGet(
                  (int)
                      now.stream()
                          .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                          .count(),
                  Math::max);
              return now.stream().noneMatch(p -> originals.contains(p.getMetadata().getName()))
                  && fleetReady(client, "age", 4);
            });
    assertThat(minRunning.get())
        .as("replicas - maxUnavailable stay Running throughout")
        .isGreaterThanOrEqualTo(4);
    assertThat(maxExisting.get()).as("never more than replicas + maxSurge").isLessThanOrEqualTo(5);
    assertThat(Fixtures.fleet(client, "age").getStatus().getRotationsByReason())
        .containsKey("MaxAge");
  }

  @Test
  void aBurnedRegionsProxiesAreReplacedElsewhereWithoutChurnAndScaleDownKeepsTheHealthy() {
    apply(env, blocklist("scale-list", List.of()));
    // 100: never avoid a region up front, so the burn path itself is exercised.
    apply(
        env,
        fleet(
            "scale",
            4,
            "socks5",
            1080,
            "one-subnet",
            List.of("local-31", "local-32"),
            List.of("scale-list"),
            "  maxRegionBlockedPercent: 100\n"));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "scale", 4));
    // local-31 has one subnet, so blocking it leaves those proxies no clean address at all.
    client
        .resources(Blocklist.class)
        .withName("scale-list")
        .edit(
            b -> {
              b.getSpec().setCidrs(List.of("127.31.0.0/24"));
              return b;
            });
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                "RegionBurned"
                    .equals(
                        Fixtures.condition(
                            Fixtures.fleet(client, "scale"), "Degraded", c -> c.getReason())));
    // The burned region's share moves: all four serve from local-32 until the cooldown ends.
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                fleetReady(client, "scale", 4)
                    && proxies(client, "scale").stream()
                        .allMatch(p -> p.getSpec().getRegion().equals("local-32")));
    client
        .resources(ProxyFleet.class)
        .inNamespace("default")
        .withName("scale")
        .edit(
            f -> {
              f.getSpec().setReplicas(2);
              return f;
            });
    await()
        .atMost(TIMEOUT)
        .until(() -> proxies(client, "scale").size() == 2 && fleetReady(client, "scale", 2));
    assertThat(running(client, "scale"))
        .hasSize(2)
        .allMatch(p -> p.getSpec().getRegion().equals("local-32"));
    long launches =
        Fixtures.events(client, "scale").stream()
            .filter(e -> "LaunchingProxy".equals(e.getReason()))
            .mapToLong(e -> e.getCount() == null ? 1 : e.getCount())
            .sum();
    assertThat(launches)
        .as("4 initial launches and 2 replacements, none into the burned region")
        .isEqualTo(6);
    ProxyFleet after = Fixtures.fleet(client, "scale");
    assertThat(after.getStatus().getBurnedRegions())
        .singleElement()
        .satisfies(
            b -> {
              assertThat(b.getRegion()).isEqualTo("local-31");
              assertThat(b.getReason()).contains("were all blocked");
            });
    assertThat(Fixtures.events(client, "scale"))
        .anyMatch(e -> "RegionBurned".equals(e.getReason()) && e.getMessage().contains("local-31"));
  }

  @Test
  void aRegionMostlyCoveredByTheBlocklistsIsAvoidedBeforeAnyLaunchThere() {
    apply(env, blocklist("avoid-list", List.of("127.41.0.0/24")));
    // local-41 has four subnets: one blocked is 25.00%, under the threshold, so it stays in use.
    apply(
        env,
        fleet(
            "avoid",
            4,
            "socks5",
            1080,
            "local",
            List.of("local-41", "local-42"),
            List.of("avoid-list"),
            "  maxRegionBlockedPercent: 50\n"));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "avoid", 4));
    assertThat(Fixtures.fleet(client, "avoid").getStatus().getRegions())
        .extracting(r -> r.getRegion() + " " + r.getBlockedPercent() + " " + r.getDesired())
        .containsExactly("local-41 25.00% 2", "local-42 0.00% 2");
    assertThat(running(client, "avoid"))
        .allMatch(p -> !p.getStatus().getPublicIp().startsWith("127.41.0."));

    // Block the whole region: local-41 is now 100% covered and its share moves to local-42.
    client
        .resources(Blocklist.class)
        .withName("avoid-list")
        .edit(
            b -> {
              b.getSpec().setCidrs(List.of("127.41.0.0/16"));
              return b;
            });
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                fleetReady(client, "avoid", 4)
                    && running(client, "avoid").stream()
                        .allMatch(p -> p.getSpec().getRegion().equals("local-42"))
                    && proxies(client, "avoid").size() == 4);
    ProxyFleet fleet = Fixtures.fleet(client, "avoid");
    assertThat(fleet.getStatus().getRegions())
        .filteredOn(r -> r.getRegion().equals("local-41"))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getBlockedPercent()).isEqualTo("100.00%");
              assertThat(r.getDesired()).isZero();
              assertThat(r.getUnavailable())
                  .contains("100.00%")
                  .contains("maxRegionBlockedPercent 50");
            });
    assertThat(Fixtures.condition(fleet, "Degraded", c -> c.getReason()))
        .isEqualTo("RegionsAvoided");
  }

  @Test
  void theRotationBudgetHoldsRotationsBackAndReleasesThemAsItRefills() {
    apply(env, blocklist("budget-list", List.of()));
    apply(
        env,
        fleet(
            "budget",
            3,
            "socks5",
            1080,
            "local",
            List.of("local-51"),
            List.of("budget-list"),
            "  maxRegionBlockedPercent: 100\n  rotation: {maxRotationsPerHour: 1}\n"));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "budget", 3));
    Map<String, String> before = ipsByName(running(client, "budget"));
    client
        .resources(Blocklist.class)
        .withName("budget-list")
        .edit(
            b -> {
              b.getSpec().setCidrs(before.values().stream().map(ip -> ip + "/32").toList());
              return b;
            });
    // One rotation per hour: one proxy moves, two are held (not dropped) and the fleet says so.
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                "True"
                        .equals(
                            Fixtures.condition(
                                Fixtures.fleet(client, "budget"),
                                "RotationsHeld",
                                c -> c.getStatus()))
                    && Fixtures.fleet(client, "budget").getStatus().getReadyReplicas() == 1);
    ProxyFleet held = Fixtures.fleet(client, "budget");
    assertThat(held.getStatus().getRotationsHeld()).isEqualTo(2);
    assertThat(held.getStatus().getRotationsByReason()).containsEntry("Blocked", 1L);
    assertThat(Fixtures.condition(held, "RotationsHeld", c -> c.getMessage()))
        .contains("2 rotations held back")
        .contains("maxRotationsPerHour 1");
    assertThat(Fixtures.events(client, "budget"))
        .anyMatch(e -> "RotationsHeld".equals(e.getReason()));

    // A bigger budget refills at once (3600 per hour = one per second): the held rotations run.
    client
        .resources(ProxyFleet.class)
        .inNamespace("default")
        .withName("budget")
        .edit(
            f -> {
              f.getSpec().getRotation().setMaxRotationsPerHour(3600);
              return f;
            });
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                fleetReady(client, "budget", 3)
                    && running(client, "budget").stream()
                        .noneMatch(p -> before.containsValue(p.getStatus().getPublicIp())));
    ProxyFleet done = Fixtures.fleet(client, "budget");
    assertThat(done.getStatus().getRotationsByReason()).containsEntry("Blocked", 3L);
    assertThat(done.getStatus().getRotationsHeld()).isZero();
    assertThat(Fixtures.condition(done, "RotationsHeld", c -> c.getStatus())).isEqualTo("False");
  }

  @Test
  void aLaunchStuckPastTheTimeoutIsMarkedFailedAndReplaced() {
    apply(env, profile("slow", 2, "1h"));
    apply(env, blocklist("slow-list", List.of()));
    apply(
        env,
        fleet(
            "slow",
            1,
            "socks5",
            1080,
            "slow",
            List.of("local-33"),
            List.of("slow-list"),
            "  launchTimeout: 2s\n"));
    List<String> seen = new ArrayList<>();
    await()
        .atMost(TIMEOUT)
        .until(
            () -> {
              proxies(client, "slow")
                  .forEach(
                      p -> {
                        if (!seen.contains(p.getMetadata().getName()))
                          seen.add(p.getMetadata().getName());
                      });
              return seen.size() >= 2;
            });
    String first = seen.get(0);
    assertThat(Fixtures.events(client, first)).anyMatch(e -> "LaunchTimeout".equals(e.getReason()));
    assertThat(Fixtures.events(client, "slow"))
        .anyMatch(
            e ->
                "DeletingProxy".equals(e.getReason())
                    && e.getMessage().contains(first)
                    && e.getMessage().contains("failed"));
    client.resources(ProxyFleet.class).inNamespace("default").withName("slow").delete();
    await()
        .atMost(TIMEOUT)
        .until(() -> proxies(client, "slow").isEmpty() && Fixtures.fleet(client, "slow") == null);
  }

  @Test
  void proxiesRunningPhaseMatchesTheirListener() {
    apply(env, blocklist("phase-list", List.of()));
    apply(
        env,
        fleet("phase", 2, "socks5", 1080, "local", List.of("local-34"), List.of("phase-list"), ""));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "phase", 2));
    for (Proxy p : proxies(client, "phase")) {
      assertThat(p.getStatus().getPhase()).isEqualTo(ProxyPhase.Running);
      assertThat(ProxyClients.acceptsTcp(p.getStatus().getPublicIp(), 1080)).isTrue();
      assertThat(p.getStatus().getConditions())
          .extracting(c -> c.getType() + "=" + c.getStatus())
          .contains("Ready=True", "Blocked=False");
    }
  }
}
