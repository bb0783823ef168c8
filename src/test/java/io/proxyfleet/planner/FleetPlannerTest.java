package io.proxyfleet.planner;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.api.OnBlocked;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.block.BlockMatch;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.planner.FleetPlan.Create;
import io.proxyfleet.planner.FleetPlan.Delete;
import io.proxyfleet.planner.FleetPlan.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FleetPlannerTest {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final BlockMatch BLOCK = new BlockMatch("manual", "127.1.0.0/24");
  final FleetPlanner planner = new FleetPlanner();

  static RotationSettings rotation(
      Duration maxAge, OnBlocked onBlocked, int surge, int unavailable) {
    return new RotationSettings(maxAge, onBlocked, surge, unavailable);
  }

  static Map<SlotKey, List<Subnet>> subnets(List<PlacementView> placements, int perRegion) {
    Map<SlotKey, List<Subnet>> out = new LinkedHashMap<>();
    for (PlacementView p : placements) {
      for (String r : p.regions()) {
        List<Subnet> list = new ArrayList<>();
        for (int s = 0; s < perRegion; s++) {
          list.add(new Subnet(r + "-s" + s, r, r + (char) ('a' + s), "10.0." + s + ".0/24"));
        }
        out.put(new SlotKey(p.cloudProfile(), r), list);
      }
    }
    return out;
  }

  static ProxyView proxy(
      String name,
      String profile,
      String region,
      String subnet,
      ProxyPhase phase,
      Instant created) {
    return new ProxyView(
        name,
        name + "-uid",
        new SlotKey(profile, region),
        subnet,
        phase,
        "1.2.3.4",
        null,
        false,
        false,
        created);
  }

  @Test
  void apportionsByWeightWithLargestRemainder() {
    assertThat(FleetPlanner.apportion(12, new int[] {2, 1})).containsExactly(8, 4);
    assertThat(FleetPlanner.apportion(7, new int[] {1, 1, 1})).containsExactly(3, 2, 2);
    assertThat(FleetPlanner.apportion(1, new int[] {1, 3})).containsExactly(0, 1);
    assertThat(FleetPlanner.apportion(0, new int[] {1})).containsExactly(0);
  }

  @Test
  void spreadsANewFleetByWeightRegionAndSubnet() {
    List<PlacementView> placements =
        List.of(
            new PlacementView("aws", List.of("eu-central-1", "eu-north-1"), 2),
            new PlacementView("gcp", List.of("europe-west3"), 1));
    FleetPlan plan =
        planner.plan(
            new PlanInput(
                12,
                placements,
                rotation(null, OnBlocked.ReassignIP, 3, 0),
                List.of(),
                subnets(placements, 3),
                T0));

    Map<String, Long> perRegion =
        plan.creates().stream()
            .collect(Collectors.groupingBy(c -> c.slot().toString(), Collectors.counting()));
    assertThat(perRegion)
        .containsOnly(
            Map.entry("aws/eu-central-1", 4L),
            Map.entry("aws/eu-north-1", 4L),
            Map.entry("gcp/europe-west3", 4L));
    Map<String, Long> perSubnet =
        plan.creates().stream()
            .collect(Collectors.groupingBy(Create::subnet, Collectors.counting()));
    assertThat(perSubnet.get("eu-central-1-s0")).isEqualTo(2);
    assertThat(perSubnet.get("eu-central-1-s1")).isEqualTo(1);
    assertThat(perSubnet.get("europe-west3-s2")).isEqualTo(1);
    assertThat(plan.creates()).allMatch(c -> c.reason() == Reason.ScaleUp);
    assertThat(plan.deletes()).isEmpty();
  }

  @Test
  void newProxiesGoToTheLeastLoadedSubnet() {
    List<PlacementView> placements = List.of(new PlacementView("p", List.of("r"), 1));
    List<ProxyView> existing =
        List.of(
            proxy("a", "p", "r", "r-s0", ProxyPhase.Running, T0),
            proxy("b", "p", "r", "r-s0", ProxyPhase.Running, T0));
    FleetPlan plan =
        planner.plan(
            new PlanInput(
                4,
                placements,
                rotation(null, OnBlocked.ReassignIP, 1, 0),
                existing,
                subnets(placements, 2),
                T0));
    assertThat(plan.creates()).extracting(Create::subnet).containsExactly("r-s1", "r-s1");
  }

  @Test
  void blockedProxiesGetNewIpsOnceAndOthersAreLeftAlone() {
    List<PlacementView> placements = List.of(new PlacementView("p", List.of("r"), 1));
    ProxyView blocked =
        new ProxyView(
            "b",
            "b",
            new SlotKey("p", "r"),
            "r-s0",
            ProxyPhase.Running,
            "127.1.0.5",
            BLOCK,
            false,
            false,
            T0);
    ProxyView pending =
        new ProxyView(
            "c",
            "c",
            new SlotKey("p", "r"),
            "r-s0",
            ProxyPhase.Rotating,
            "127.1.0.6",
            BLOCK,
            false,
            true,
            T0);
    ProxyView fine = proxy("a", "p", "r", "r-s1", ProxyPhase.Running, T0);
    FleetPlan plan =
        planner.plan(
            new PlanInput(
                3,
                placements,
                rotation(null, OnBlocked.ReassignIP, 1, 0),
                List.of(blocked, pending, fine),
                subnets(placements, 2),
                T0));
    assertThat(plan.ipRotations()).containsExactly(new FleetPlan.RotateIp("b", Reason.Blocked));
    assertThat(plan.creates()).isEmpty();
    assertThat(plan.deletes()).isEmpty();
    assertThat(plan.rotationsStarted()).containsEntry(Reason.Blocked, 1);
  }

  @Test
  void replacePolicyDeletesBlockedAndLaunchesReplacementsInTheSameSlot() {
    List<PlacementView> placements = List.of(new PlacementView("p", List.of("r1", "r2"), 1));
    ProxyView blocked =
        new ProxyView(
            "b",
            "b",
            new SlotKey("p", "r1"),
            "r1-s0",
            ProxyPhase.Running,
            "1.1.1.1",
            BLOCK,
            false,
            false,
            T0);
    ProxyView fine = proxy("a", "p", "r2", "r2-s0", ProxyPhase.Running, T0);
    FleetPlan plan =
        planner.plan(
            new PlanInput(
                2,
                placements,
                rotation(null, OnBlocked.Replace, 1, 0),
                List.of(blocked, fine),
                subnets(placements, 1),
                T0));
    assertThat(plan.deletes()).containsExactly(new Delete("b", Reason.Blocked));
    assertThat(plan.creates())
        .containsExactly(new Create(new SlotKey("p", "r1"), "r1-s0", Reason.Blocked));
    assertThat(plan.ipRotations()).isEmpty();
  }

  @Test
  void failedProxiesAreReplaced() {
    List<PlacementView> placements = List.of(new PlacementView("p", List.of("r"), 1));
    FleetPlan plan =
        planner.plan(
            new PlanInput(
                1,
                placements,
                rotation(null, OnBlocked.ReassignIP, 1, 0),
                List.of(proxy("x", "p", "r", "r-s0", ProxyPhase.Failed, T0)),
                subnets(placements, 1),
                T0));
    assertThat(plan.deletes()).containsExactly(new Delete("x", Reason.Failed));
    assertThat(plan.creates()).extracting(Create::reason).containsExactly(Reason.Failed);
    assertThat(plan.rotationsStarted()).containsExactly(Map.entry(Reason.Failed, 1));
  }

  @Test
  void scaleDownRemovesBlockedFirstThenNotReadyThenOldest() {
    List<PlacementView> placements = List.of(new PlacementView("p", List.of("r"), 1));
    List<ProxyView> proxies =
        List.of(
            proxy("old", "p", "r", "s", ProxyPhase.Running, T0),
            proxy("new", "p", "r", "s", ProxyPhase.Running, T0.plusSeconds(60)),
            proxy("launching", "p", "r", "s", ProxyPhase.Launching, T0.plusSeconds(90)),
            new ProxyView(
                "blocked",
                "blocked",
                new SlotKey("p", "r"),
                "s",
                ProxyPhase.Rotating,
                "1.1.1.1",
                BLOCK,
                false,
                true,
                T0.plusSeconds(120)));
    FleetPlan plan =
        planner.plan(
            new PlanInput(
                2, placements, rotation(null, OnBlocked.ReassignIP, 1, 0), proxies, Map.of(), T0));
    assertThat(plan.deletes()).extracting(Delete::name).containsExactly("blocked", "launching");

    FleetPlan toOne =
        planner.plan(
            new PlanInput(
                1, placements, rotation(null, OnBlocked.ReassignIP, 1, 0), proxies, Map.of(), T0));
    assertThat(toOne.deletes())
        .extracting(Delete::name)
        .containsExactly("blocked", "launching", "old");
    assertThat(toOne.deletes()).allMatch(d -> d.reason() == Reason.ScaleDown);
  }

  @Test
  void proxiesOutsideThePlacementAreRetiredOnlyOnceReplacementsAreReady() {
    List<PlacementView> placements = List.of(new PlacementView("p", List.of("new-region"), 1));
    List<ProxyView> proxies = List.of(proxy("a", "p", "gone", "s", ProxyPhase.Running, T0));
    FleetPlan first =
        planner.plan(
            new PlanInput(
                1,
                placements,
                rotation(null, OnBlocked.ReassignIP, 1, 0),
                proxies,
                subnets(placements, 1),
                T0));
    assertThat(first.creates()).hasSize(1);
    assertThat(first.deletes())
        .as("maxUnavailable=0: keep serving until the replacement is ready")
        .isEmpty();
    assertThat(first.slots()).extracting(FleetPlan.SlotSummary::desired).containsExactly(1, 0);

    List<ProxyView> later =
        List.of(
            proxies.get(0), proxy("b", "p", "new-region", "new-region-s0", ProxyPhase.Running, T0));
    FleetPlan second =
        planner.plan(
            new PlanInput(
                1,
                placements,
                rotation(null, OnBlocked.ReassignIP, 1, 0),
                later,
                subnets(placements, 1),
                T0));
    assertThat(second.deletes()).containsExactly(new Delete("a", Reason.ScaleDown));
  }

  @Test
  void slotsWithoutSubnetsAreReportedInsteadOfPlaced() {
    List<PlacementView> placements = List.of(new PlacementView("p", List.of("r"), 1));
    FleetPlan plan =
        planner.plan(
            new PlanInput(
                2,
                placements,
                rotation(null, OnBlocked.ReassignIP, 1, 0),
                List.of(),
                Map.of(),
                T0));
    assertThat(plan.creates()).isEmpty();
    assertThat(plan.slotsWithoutSubnets()).containsExactly(new SlotKey("p", "r"));
  }

  @Test
  void ageDeadlinesAreJitteredButNeverLate() {
    RotationSettings r = rotation(Duration.ofHours(10), OnBlocked.ReassignIP, 1, 0);
    PlanInput at =
        new PlanInput(1, List.of(), r, List.of(), Map.of(), T0.plus(Duration.ofHours(10)));
    PlanInput early =
        new PlanInput(
            1, List.of(), r, List.of(), Map.of(), T0.plus(Duration.ofHours(9)).minusSeconds(1));
    int expiredEarly = 0;
    for (int i = 0; i < 200; i++) {
      ProxyView p = proxy("p" + i, "x", "y", "s", ProxyPhase.Running, T0);
      assertThat(FleetPlanner.expired(p, r, at)).isTrue();
      if (FleetPlanner.expired(p, r, early)) expiredEarly++;
    }
    assertThat(expiredEarly).as("nothing expires before 90%% of maxAge").isZero();
  }

  /**
   * Simulates age rotation: every plan is applied, new proxies take a few steps to become Running,
   * and at no point may fewer than replicas - maxUnavailable proxies be ready.
   */
  @Test
  void ageRotationKeepsAvailabilityAndReplacesEveryone() {
    for (int[] budget : new int[][] {{2, 0}, {1, 0}, {0, 1}, {3, 2}}) {
      int replicas = 6;
      List<PlacementView> placements = List.of(new PlacementView("p", List.of("r1", "r2"), 1));
      RotationSettings r =
          rotation(Duration.ofHours(1), OnBlocked.ReassignIP, budget[0], budget[1]);
      Map<String, ProxyView> world = new LinkedHashMap<>();
      Map<String, Integer> stepsLeft = new HashMap<>();
      for (int i = 0; i < replicas; i++) {
        String region = i % 2 == 0 ? "r1" : "r2";
        world.put("old" + i, proxy("old" + i, "p", region, region + "-s0", ProxyPhase.Running, T0));
      }
      Instant now = T0.plus(Duration.ofHours(2));
      int counter = 0;
      for (int step = 0; step < 100; step++) {
        FleetPlan plan =
            planner.plan(
                new PlanInput(
                    replicas,
                    placements,
                    r,
                    List.copyOf(world.values()),
                    subnets(placements, 2),
                    now));
        for (Delete d : plan.deletes()) world.remove(d.name());
        for (Create c : plan.creates()) {
          String name = "new" + counter++;
          world.put(
              name,
              proxy(
                  name,
                  c.slot().cloudProfile(),
                  c.slot().region(),
                  c.subnet(),
                  ProxyPhase.Launching,
                  now));
          stepsLeft.put(name, 2);
        }
        long ready = world.values().stream().filter(ProxyView::ready).count();
        assertThat(ready)
            .as("budget %s step %d", List.of(budget[0], budget[1]), step)
            .isGreaterThanOrEqualTo(replicas - budget[1]);
        assertThat(world.size()).isLessThanOrEqualTo(replicas + Math.max(budget[0], 0));
        for (String name : List.copyOf(stepsLeft.keySet())) {
          if (stepsLeft.merge(name, -1, Integer::sum) <= 0 && world.containsKey(name)) {
            ProxyView p = world.get(name);
            world.put(
                name,
                proxy(
                    name,
                    p.slot().cloudProfile(),
                    p.slot().region(),
                    p.subnet(),
                    ProxyPhase.Running,
                    p.createdAt()));
            stepsLeft.remove(name);
          }
        }
      }
      assertThat(world.keySet())
          .as("budget %s", List.of(budget[0], budget[1]))
          .hasSize(replicas)
          .allMatch(n -> n.startsWith("new"));
      assertThat(
              world.values().stream()
                  .collect(Collectors.groupingBy(p -> p.slot().region(), Collectors.counting())))
          .containsOnly(Map.entry("r1", 3L), Map.entry("r2", 3L));
    }
  }

  @Test
  void resolvesSurgeAndUnavailabilityPercentages() {
    assertThat(RotationSettings.resolve("25%", 6, true)).isEqualTo(2);
    assertThat(RotationSettings.resolve("25%", 6, false)).isEqualTo(1);
    assertThat(RotationSettings.resolve("3", 6, true)).isEqualTo(3);
  }

  static ProxyView blockedProxy(String name, String region) {
    return new ProxyView(
        name,
        name,
        new SlotKey("p", region),
        region + "-s0",
        ProxyPhase.Running,
        "1.1.1." + name.length(),
        BLOCK,
        false,
        false,
        T0);
  }

  @Test
  void rotationBudgetHoldsBlockedRotationsBackAndCountsThem() {
    List<PlacementView> placements = List.of(new PlacementView("p", List.of("r"), 1));
    List<ProxyView> proxies =
        List.of(
            blockedProxy("a", "r"),
            blockedProxy("bb", "r"),
            blockedProxy("ccc", "r"),
            proxy("d", "p", "r", "r-s0", ProxyPhase.Running, T0));
    FleetPlan plan =
        planner.plan(
            new PlanInput(
                4,
                placements,
                rotation(null, OnBlocked.ReassignIP, 1, 0),
                proxies,
                subnets(placements, 1),
                T0,
                Map.of(),
                2));
    assertThat(plan.ipRotations()).hasSize(2);
    assertThat(plan.rotationsStarted()).containsExactly(Map.entry(Reason.Blocked, 2));
    assertThat(plan.rotationsHeld()).containsExactly(Map.entry(Reason.Blocked, 1));
    assertThat(plan.creates()).isEmpty();

    // Budget refilled by one: the held rotation runs, nothing was dropped.
    List<ProxyView> after =
        List.of(
            new ProxyView(
                "a",
                "a",
                new SlotKey("p", "r"),
                "r-s0",
                ProxyPhase.Running,
                "1.1.1.1",
                BLOCK,
                false,
                true,
                T0),
            new ProxyView(
                "bb",
                "bb",
                new SlotKey("p", "r"),
                "r-s0",
                ProxyPhase.Running,
                "1.1.1.2",
                BLOCK,
                false,
                true,
                T0),
            blockedProxy("ccc", "r"),
            proxy("d", "p", "r", "r-s0", ProxyPhase.Running, T0));
    FleetPlan next =
        planner.plan(
            new PlanInput(
                4,
                placements,
                rotation(null, OnBlocked.ReassignIP, 1, 0),
                after,
                subnets(placements, 1),
                T0,
                Map.of(),
                1));
    assertThat(next.ipRotations()).extracting(FleetPlan.RotateIp::name).containsExactly("ccc");
    assertThat(next.rotationsHeld()).isEmpty();
  }

  @Test
  void spentBudgetKeepsBlockedReplaceProxiesAndAgeRotationsWaiting() {
    List<PlacementView> placements = List.of(new PlacementView("p", List.of("r"), 1));
    List<ProxyView> proxies =
        List.of(blockedProxy("a", "r"), proxy("old", "p", "r", "r-s0", ProxyPhase.Running, T0));
    FleetPlan plan =
        planner.plan(
            new PlanInput(
                2,
                placements,
                rotation(Duration.ofHours(1), OnBlocked.Replace, 1, 1),
                proxies,
                subnets(placements, 1),
                T0.plus(Duration.ofHours(2)),
                Map.of(),
                0));
    assertThat(plan.deletes()).isEmpty();
    assertThat(plan.creates()).isEmpty();
    assertThat(plan.ipRotations()).isEmpty();
    assertThat(plan.rotationsStarted()).isEmpty();
    assertThat(plan.rotationsHeld()).containsEntry(Reason.Blocked, 1).containsKey(Reason.MaxAge);
  }

  @Test
  void failedProxiesAndScaleUpAreNeverHeldByTheBudget() {
    List<PlacementView> placements = List.of(new PlacementView("p", List.of("r"), 1));
    FleetPlan plan =
        planner.plan(
            new PlanInput(
                3,
                placements,
                rotation(null, OnBlocked.ReassignIP, 1, 0),
                List.of(proxy("x", "p", "r", "r-s0", ProxyPhase.Failed, T0)),
                subnets(placements, 1),
                T0,
                Map.of(),
                0));
    assertThat(plan.deletes()).containsExactly(new Delete("x", Reason.Failed));
    assertThat(plan.creates()).hasSize(3);
    assertThat(plan.rotationsHeld()).isEmpty();
    // Counted as a rotation by reason Failed (the README's status.rotationsByReason), though it
    // spends no budget.
    assertThat(plan.rotationsStarted()).containsExactly(Map.entry(Reason.Failed, 1));
  }

  @Test
  void aBurnedRegionsShareMovesToTheOtherRegionsAndComesBackAfterwards() {
    List<PlacementView> placements = List.of(new PlacementView("p", List.of("r1", "r2", "r3"), 1));
    Map<SlotKey, List<Subnet>> subnets = subnets(placements, 1);
    subnets.remove(new SlotKey("p", "r1"));
    FleetPlan plan =
        planner.plan(
            new PlanInput(
                6,
                placements,
                rotation(null, OnBlocked.ReassignIP, 1, 0),
                List.of(),
                subnets,
                T0,
                Map.of(new SlotKey("p", "r1"), "burned"),
                PlanInput.UNLIMITED));
    Map<String, Long> perRegion =
        plan.creates().stream()
            .collect(Collectors.groupingBy(c -> c.slot().region(), Collectors.counting()));
    assertThat(perRegion).containsOnly(Map.entry("r2", 3L), Map.entry("r3", 3L));
    assertThat(plan.slotsWithoutSubnets()).isEmpty();
    assertThat(plan.slots())
        .filteredOn(sl -> sl.slot().region().equals("r1"))
        .singleElement()
        .satisfies(sl -> assertThat(sl.desired()).isZero())
        .satisfies(sl -> assertThat(sl.unavailable()).isEqualTo("burned"));
  }

  @Test
  void aPlacementWithEveryRegionUnavailableGivesItsWeightToTheOthers() {
    List<PlacementView> placements =
        List.of(
            new PlacementView("aws", List.of("r1"), 3), new PlacementView("gcp", List.of("g1"), 1));
    FleetPlan plan =
        planner.plan(
            new PlanInput(
                4,
                placements,
                rotation(null, OnBlocked.ReassignIP, 1, 0),
                List.of(),
                subnets(placements, 1),
                T0,
                Map.of(new SlotKey("aws", "r1"), "87.00% blocked"),
                PlanInput.UNLIMITED));
    assertThat(plan.creates())
        .extracting(c -> c.slot().cloudProfile())
        .containsOnly("gcp")
        .hasSize(4);
  }

  @Test
  void whenEveryRegionIsUnavailableThePlainSpreadApplies() {
    List<PlacementView> placements = List.of(new PlacementView("p", List.of("r1", "r2"), 1));
    FleetPlan plan =
        planner.plan(
            new PlanInput(
                4,
                placements,
                rotation(null, OnBlocked.ReassignIP, 1, 0),
                List.of(),
                subnets(placements, 1),
                T0,
                Map.of(
                    new SlotKey("p", "r1"), "too blocked", new SlotKey("p", "r2"), "too blocked"),
                PlanInput.UNLIMITED));
    assertThat(plan.creates()).hasSize(4);
  }

  @Test
  void proxiesInAnAvoidedRegionMoveOutOnlyOnceReplacementsAreReady() {
    List<PlacementView> placements = List.of(new PlacementView("p", List.of("r1", "r2"), 1));
    List<ProxyView> proxies =
        List.of(
            proxy("a", "p", "r1", "r1-s0", ProxyPhase.Running, T0),
                proxy("b", "p", "r1", "r1-s0", ProxyPhase.Running, T0),
            proxy("c", "p", "r2", "r2-s0", ProxyPhase.Running, T0),
                proxy("d", "p", "r2", "r2-s0", ProxyPhase.Running, T0));
    Map<SlotKey, String> avoid = Map.of(new SlotKey("p", "r1"), "90.00% blocked");
    FleetPlan plan =
        planner.plan(
            new PlanInput(
                4,
                placements,
                rotation(null, OnBlocked.ReassignIP, 1, 0),
                proxies,
                subnets(placements, 1),
                T0,
                avoid,
                PlanInput.UNLIMITED));
    assertThat(plan.creates()).extracting(c -> c.slot().region()).containsExactly("r2", "r2");
    assertThat(plan.deletes())
        .as("maxUnavailable 0: nothing ready leaves before its replacement is ready")
        .isEmpty();

    List<ProxyView> later = new ArrayList<>(proxies);
    later.add(proxy("e", "p", "r2", "r2-s0", ProxyPhase.Running, T0.plusSeconds(60)));
    later.add(proxy("f", "p", "r2", "r2-s0", ProxyPhase.Running, T0.plusSeconds(60)));
    FleetPlan then =
        planner.plan(
            new PlanInput(
                4,
                placements,
                rotation(null, OnBlocked.ReassignIP, 1, 0),
                later,
                subnets(placements, 1),
                T0.plusSeconds(60),
                avoid,
                PlanInput.UNLIMITED));
    assertThat(then.deletes()).extracting(Delete::name).containsExactlyInAnyOrder("a", "b");
    assertThat(then.deletes()).allMatch(d -> d.reason() == Reason.Rebalance);
    assertThat(then.creates()).isEmpty();
  }

  @Test
  void aBlockedProxyInAnUnavailableRegionIsReplacedElsewhereInsteadOfReassigned() {
    List<PlacementView> placements = List.of(new PlacementView("p", List.of("r1", "r2"), 1));
    List<ProxyView> proxies =
        List.of(blockedProxy("a", "r1"), proxy("b", "p", "r2", "r2-s0", ProxyPhase.Running, T0));
    FleetPlan plan =
        planner.plan(
            new PlanInput(
                2,
                placements,
                rotation(null, OnBlocked.ReassignIP, 1, 0),
                proxies,
                subnets(placements, 1),
                T0,
                Map.of(new SlotKey("p", "r1"), "burned"),
                PlanInput.UNLIMITED));
    assertThat(plan.ipRotations()).isEmpty();
    assertThat(plan.deletes()).containsExactly(new Delete("a", Reason.Blocked));
    assertThat(plan.creates())
        .containsExactly(new Create(new SlotKey("p", "r2"), "r2-s0", Reason.Blocked));
    assertThat(plan.rotationsStarted()).containsExactly(Map.entry(Reason.Blocked, 1));
  }
}
