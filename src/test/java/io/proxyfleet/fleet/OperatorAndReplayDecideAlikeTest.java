package io.proxyfleet.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.proxyfleet.api.BurnedRegion;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.block.BlockIndexRegistry;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.CloudProviderFactory;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.decide.DecisionLog;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.local.CustomResourceDefinitions;
import io.proxyfleet.policy.BlockedFractions;
import io.proxyfleet.proxy.ProxyReconciler;
import io.proxyfleet.ranges.CloudRangeParser;
import io.proxyfleet.ranges.CloudRanges;
import io.proxyfleet.ranges.RangePublisher;
import io.proxyfleet.replay.BlockTimeline;
import io.proxyfleet.replay.BlockadeReplay;
import io.proxyfleet.replay.ReplaySettings;
import io.proxyfleet.replay.SimulatedClock;
import io.proxyfleet.replay.SimulatedCloud;
import io.proxyfleet.testing.reconcile.TestContexts;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One scenario through the operator and through the blockade replay: the same decisions, in the
 * same order, at the same simulated times.
 *
 * <p>The scenario: 6 proxies over three regions of two clouds. The "slow" cloud boots VMs in 5
 * minutes against a 2-minute launchTimeout, so its proxies time out and are replaced again and
 * again. At 10 minutes 87.5% of r1 is blocked (below its maxRegionBlockedPercent of 95): its
 * proxies get new IPs, drawing at most 2 addresses, and a proxy that draws only blocked ones fails
 * and burns r1 for 10 minutes (its share moves to r2, which then loses half its space at 20
 * minutes).
 *
 * <p>The operator side is FleetReconciler and ProxyReconciler called directly, one pass at a time,
 * against local mode's embedded API server, with the simulated clock and {@link SimulatedCloud}s
 * built from the same seeds as the replay's (so both draw the same addresses when they decide the
 * same). This class plays what the replay's loop plays for it: the clock, passes at the same
 * moments (every 10 s, at block events, boot completions and hold expiries, repeated until nothing
 * changes), the blocklist, and the informers (proxies listed from the API; their creation time is
 * the simulated one, as if the API server ran on the simulated clock). It is in this package for
 * the fleet's test-only cache hook.
 */
class OperatorAndReplayDecideAlikeTest {

  static final Instant T0 = Instant.parse("2018-04-16T00:00:00Z");
  static final Duration LENGTH = Duration.ofMinutes(40);
  static final Duration PERIOD = Duration.ofSeconds(10);
  static final String TIMELINE =
      """
      time,cidr
      2018-04-16T00:10:00Z,10.1.0.0/25
      2018-04-16T00:10:00Z,10.1.0.128/26
      2018-04-16T00:10:00Z,10.1.0.192/27
      2018-04-16T00:20:00Z,10.2.0.0/25
      """;
  static final String FLEET =
      """
      apiVersion: proxyfleet.io/v1alpha1
      kind: ProxyFleet
      metadata: {name: unit, namespace: default}
      spec:
        replicas: 6
        protocol: socks5
        port: 1080
        launchTimeout: 2m
        maxRegionBlockedPercent: 95
        placement: [{cloudProfile: fast, regions: [r1, r2]}, {cloudProfile: slow, regions: [r3]}]
        rotation: {onBlocked: ReassignIP, maxAddressDraws: 2, burnedRegionCooldown: 10m}
        blocklists: [timeline]
      """;

  EmbeddedKubernetes api;
  KubernetesClient client;

  @BeforeEach
  void start() {
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    api.installCrds(CustomResourceDefinitions.all());
    client = api.client();
  }

  @AfterEach
  void stop() {
    api.close();
  }

  static CloudRanges ranges(String... regionAndPrefix) throws Exception {
    StringBuilder json =
        new StringBuilder("{\"syncToken\":\"t\",\"createDate\":\"d\",\"prefixes\":[");
    for (int i = 0; i < regionAndPrefix.length; i += 2) {
      if (i > 0) json.append(',');
      json.append("{\"ip_prefix\":\"")
          .append(regionAndPrefix[i + 1])
          .append("\",\"region\":\"")
          .append(regionAndPrefix[i])
          .append("\",\"service\":\"EC2\"}");
    }
    json.append("]}");
    return CloudRangeParser.parse(
        new ByteArrayInputStream(json.toString().getBytes(StandardCharsets.UTF_8)),
        RangePublisher.AWS,
        null);
  }

  /** The two clouds of the scenario, seeded alike for both runs, on the given clock. */
  static Map<String, SimulatedCloud> clouds(SimulatedClock clock) throws Exception {
    Map<String, SimulatedCloud> clouds = new LinkedHashMap<>();
    clouds.put(
        "fast",
        new SimulatedCloud(
            "aws",
            ranges("r1", "10.1.0.0/24", "r2", "10.2.0.0/24"),
            clock,
            new SplittableRandom(11),
            Duration.ofSeconds(45),
            2));
    clouds.put(
        "slow",
        new SimulatedCloud(
            "aws",
            ranges("r3", "10.3.0.0/24"),
            clock,
            new SplittableRandom(12),
            Duration.ofMinutes(5),
            2));
    return clouds;
  }

  <T extends HasMetadata> T create(String yaml, Class<T> type) {
    return client.resource(client.getKubernetesSerialization().unmarshal(yaml, type)).create();
  }

  @Test
  void theOperatorAndTheReplayMakeTheSameDecisions() throws Exception {
    BlockTimeline timeline =
        BlockTimeline.read(new ByteArrayInputStream(TIMELINE.getBytes(StandardCharsets.UTF_8)));
    for (String profile : List.of("fast", "slow")) {
      create(
          """
          apiVersion: proxyfleet.io/v1alpha1
          kind: CloudProfile
          metadata: {name: %s, namespace: default}
          spec: {provider: local, local: {subnetsPerRegion: 2}}
          """
              .formatted(profile),
          CloudProfile.class);
    }
    ProxyFleet fleet = create(FLEET, ProxyFleet.class);

    DecisionLog.Recording replayed = new DecisionLog.Recording();
    SimulatedClock replayClock = new SimulatedClock(T0);
    ReplaySettings settings =
        new ReplaySettings(T0, LENGTH, PERIOD, Duration.ofSeconds(45), Duration.ZERO, 10, 2, 1);
    new BlockadeReplay(
            fleet, clouds(replayClock), timeline, settings, replayClock, new SplittableRandom(5))
        .recordDecisionsTo(replayed)
        .run();

    // Names are the one random input the two runs draw differently, and the planner breaks ties
    // between proxies created at one instant by name: the operator is handed the replay's names.
    List<String> names =
        replayed.entries().stream()
            .filter(e -> e.decision().startsWith("create "))
            .map(e -> e.decision().split(" ")[1])
            .toList();
    DecisionLog.Recording operated =
        new OperatorWorld(fleet, timeline, new ScriptedNames(names)).run();

    List<String> fromReplay = replayed.entries().stream().map(DecisionLog.Entry::toString).toList();
    List<String> fromOperator =
        operated.entries().stream().map(DecisionLog.Entry::toString).toList();
    // The scenario must exercise what it claims to, or agreeing on it proves little.
    assertThat(fromReplay)
        .anyMatch(e -> e.contains("Fail[reason=LaunchTimeout]"))
        .anyMatch(e -> e.contains("rotate ") && e.endsWith(" Blocked"))
        .anyMatch(e -> e.contains("Fail[reason=NoCleanAddress]"))
        .anyMatch(e -> e.contains("hold fast/r1"))
        .anyMatch(e -> e.contains("AssignAddress[rotation=true"))
        .anyMatch(e -> e.contains("ScaleDown") || e.contains("Rebalance"))
        .anyMatch(e -> e.contains("ReleaseAndFinish"));
    assertThat(String.join("\n", fromOperator)).isEqualTo(String.join("\n", fromReplay));
  }

  /** Hands out the characters of the given proxy names, in order, to a reconciler's name draws. */
  static final class ScriptedNames implements RandomGenerator {
    static final String ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
    final java.util.Deque<Integer> draws = new java.util.ArrayDeque<>();

    ScriptedNames(List<String> names) {
      for (String name : names) {
        name.substring(name.lastIndexOf('-') + 1)
            .chars()
            .forEach(c -> draws.add(ALPHABET.indexOf(c)));
      }
    }

    @Override
    public int nextInt(int bound) {
      assertThat(bound).isEqualTo(ALPHABET.length());
      Integer next = draws.poll();
      if (next == null) {
        throw new AssertionError("the operator created more proxies than the replay");
      }
      return next;
    }

    @Override
    public long nextLong() {
      throw new AssertionError("names are drawn with nextInt(bound)");
    }
  }

  /** The operator's world on the simulated clock: what the replay's loop is to the replay. */
  final class OperatorWorld {
    final SimulatedClock clock = new SimulatedClock(T0);
    final ProxyFleet initial;
    final BlockTimeline timeline;
    final Map<String, SimulatedCloud> clouds;
    final CloudProviders providers;
    final BlockIndexRegistry blocklists = new BlockIndexRegistry();
    final FleetReconciler fleets;
    final ProxyReconciler proxies;
    final DecisionLog.Recording log = new DecisionLog.Recording();

    /**
     * Proxy names in the order the fleet created them: the order proxy passes run in, as in the
     * replay.
     */
    final List<String> order = new ArrayList<>();

    /**
     * Creation time per proxy UID on the simulated clock (the embedded API stamps the wall clock).
     */
    final Map<String, String> createdAt = new HashMap<>();

    final Map<ResourceID, Proxy> proxyCache = new ConcurrentHashMap<>();
    final Map<ResourceID, Secret> secretCache = new ConcurrentHashMap<>();
    ProxyFleet fleet;
    CloudProfile fast;
    CloudProfile slow;
    int fleetActions;

    OperatorWorld(ProxyFleet fleet, BlockTimeline timeline, RandomGenerator names)
        throws Exception {
      this.initial = fleet;
      this.fleet = fleet;
      this.timeline = timeline;
      this.clouds = clouds(clock);
      this.providers =
          new CloudProviders(
              List.of(
                  new CloudProviderFactory() {
                    @Override
                    public String type() {
                      return "local";
                    }

                    @Override
                    public CloudProvider create(CloudProfile profile) {
                      return clouds.get(profile.getMetadata().getName());
                    }
                  }));
      EventRecorder events = new EventRecorder(client, clock, "test");
      fleets =
          new FleetReconciler(
              providers,
              blocklists,
              new BlocklistSubscriptions(),
              events,
              clock,
              names,
              new SplittableRandom(3),
              new BlockedFractions(BlockedFractions.PublishedRanges.NONE));
      fleets.useCaches(
          new FleetReconcilerTest.MapCache<>(proxyCache),
          new FleetReconcilerTest.MapCache<>(secretCache));
      DecisionLog counting =
          new DecisionLog() {
            @Override
            public void fleet(Instant at, String name, String decision) {
              log.fleet(at, name, decision);
              if (decision.startsWith("create ")) {
                order.add(decision.split(" ")[1]);
              }
              if (decision.startsWith("create ")
                  || decision.startsWith("delete ")
                  || decision.startsWith("rotate ")) {
                fleetActions++;
              }
            }

            @Override
            public void proxy(Instant at, String name, Object decision) {
              log.proxy(at, name, decision);
            }
          };
      fleets.recordDecisionsTo(counting);
      proxies = new ProxyReconciler(providers, blocklists, events, clock, "replay", 10);
      proxies.recordDecisionsTo(counting);
      fast = client.resources(CloudProfile.class).inNamespace("default").withName("fast").get();
      slow = client.resources(CloudProfile.class).inNamespace("default").withName("slow").get();
    }

    DecisionLog.Recording run() {
      Instant end = T0.plus(LENGTH);
      TreeSet<Instant> events =
          new TreeSet<>(timeline.steps().subMap(T0, false, end, false).keySet());
      blocklists.publish("timeline", timeline.indexAt(T0));
      Instant t = T0;
      Instant nextTick = T0;
      while (t.isBefore(end)) {
        if (events.contains(t)) {
          blocklists.publish("timeline", timeline.indexAt(t));
        }
        clock.set(t);
        pass();
        if (!nextTick.isAfter(t)) {
          nextTick = nextTick.plus(PERIOD);
          while (!nextTick.isAfter(t)) nextTick = nextTick.plus(PERIOD);
        }
        Instant next = min(nextTick, end);
        next = min(next, events.higher(t));
        for (SimulatedCloud c : clouds.values()) next = min(next, c.nextBootAfter(t).orElse(null));
        if (fleet.getStatus() != null) {
          for (BurnedRegion b : fleet.getStatus().getBurnedRegions()) {
            Instant until = Instant.parse(b.getUntil());
            if (until.isAfter(t)) next = min(next, until);
          }
        }
        t = next;
      }
      providers.close();
      return log;
    }

    /**
     * Fleet, then every proxy in creation order, until neither acts (at most 10 rounds, as the
     * replay).
     */
    void pass() {
      for (int round = 0; round < 10; round++) {
        int before = fleetActions;
        UpdateControl<ProxyFleet> control = fleets.reconcile(fleet, context());
        fleet = control.getResource().orElse(fleet);
        boolean acted = fleetActions != before;
        boolean changed = false;
        Map<String, Proxy> byName = new HashMap<>();
        listed().forEach(p -> byName.put(p.getMetadata().getName(), p));
        for (String name : List.copyOf(order)) {
          Proxy p = byName.get(name);
          if (p == null) {
            continue;
          }
          if (p.getMetadata().getDeletionTimestamp() != null) {
            DeleteControl done = proxies.cleanup(p, proxyContext(p));
            if (done.isRemoveFinalizer()) {
              client
                  .resources(Proxy.class)
                  .inNamespace("default")
                  .withName(name)
                  .edit(
                      x -> {
                        x.getMetadata().setFinalizers(new ArrayList<>());
                        return x;
                      });
              order.remove(name);
              changed = true;
            }
            continue;
          }
          UpdateControl<Proxy> result = proxies.reconcile(p, proxyContext(p));
          if (result.isPatchStatus()) {
            client.resource(result.getResource().orElseThrow()).patchStatus();
            changed = true;
          }
        }
        if (!acted && !changed) {
          return;
        }
      }
    }

    /**
     * The proxies as an informer would hand them over, created at their simulated time, in creation
     * order: the replay holds them in that order, and proxies created at one instant are planned in
     * the order they are listed.
     */
    List<Proxy> listed() {
      List<Proxy> out = new ArrayList<>();
      for (Proxy p : client.resources(Proxy.class).inNamespace("default").list().getItems()) {
        String uid = p.getMetadata().getUid();
        p.getMetadata()
            .setCreationTimestamp(createdAt.computeIfAbsent(uid, k -> clock.instant().toString()));
        out.add(p);
      }
      out.sort(java.util.Comparator.comparingInt(p -> order.indexOf(p.getMetadata().getName())));
      return out;
    }

    Context<ProxyFleet> context() {
      return TestContexts.context(
          client,
          type ->
              type == Proxy.class
                  ? listed()
                  : type == CloudProfile.class ? List.of(fast, slow) : List.of());
    }

    Context<Proxy> proxyContext(Proxy proxy) {
      CloudProfile profile = "slow".equals(proxy.getSpec().getCloudProfile()) ? slow : fast;
      return TestContexts.context(
          client,
          type ->
              type == ProxyFleet.class
                  ? List.of(fleet)
                  : type == CloudProfile.class ? List.of(profile) : List.of());
    }
  }

  static Instant min(Instant a, Instant b) {
    return b == null || a.isBefore(b) ? a : b;
  }
}
