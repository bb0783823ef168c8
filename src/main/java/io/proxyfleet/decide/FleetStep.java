package io.proxyfleet.decide;

import io.proxyfleet.api.ProxyFleetSpec;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.api.RotationBudgetStatus;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.planner.FleetPlan;
import io.proxyfleet.planner.FleetPlanner;
import io.proxyfleet.planner.PlanInput;
import io.proxyfleet.planner.ProxyView;
import io.proxyfleet.planner.RotationSettings;
import io.proxyfleet.planner.SlotKey;
import io.proxyfleet.policy.FleetPolicy;
import io.proxyfleet.policy.RotationBudget;
import io.proxyfleet.status.Reason;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a fleet does now, in two steps because the caller observes in between: {@link #holds} says
 * which regions are burned (no subnets need reading there), then {@link #decide} plans creates,
 * deletes and rotation requests from the proxies and the usable regions, charges the rotation
 * budget and says when to look again.
 */
public final class FleetStep {

  private FleetStep() {}

  private static final FleetPlanner PLANNER = new FleetPlanner();

  /**
   * One of the fleet's proxies as the fleet sees it.
   *
   * @param failure the reason it failed for (its Ready condition's), or null
   * @param message its status message, for the burned region's record
   */
  public record Member(ProxyView view, Reason failure, String message) {}

  /**
   * A region receiving no new proxies until {@code until}, because a proxy drew only blocked
   * addresses there.
   */
  public record Hold(SlotKey slot, Instant until, String why) {}

  /** Holds in force after this pass, and those this pass added (one warning each). */
  public record Holds(Map<SlotKey, Hold> inForce, List<Hold> added) {}

  /**
   * Holds still in force at {@code now}, plus one per region where a live proxy failed with
   * NoCleanAddress and no hold is in force. Times are whole seconds, as they are written to status.
   */
  public static Holds holds(
      ProxyFleetSpec spec, List<Hold> previous, List<Member> members, Instant now) {
    Map<SlotKey, Hold> inForce = new LinkedHashMap<>();
    for (Hold h : previous) {
      if (h.until().isAfter(now)) {
        inForce.put(h.slot(), h);
      }
    }
    List<Hold> added = new ArrayList<>();
    Duration cooldown = FleetPolicy.burnedRegionCooldown(spec);
    for (Member m : members) {
      ProxyView v = m.view();
      if (v.terminating()
          || v.phase() != ProxyPhase.Failed
          || m.failure() != Reason.NoCleanAddress
          || inForce.containsKey(v.slot())) {
        continue;
      }
      Hold hold =
          new Hold(
              v.slot(),
              now.plus(cooldown).truncatedTo(ChronoUnit.SECONDS),
              "proxy "
                  + v.name()
                  + ": "
                  + Optional.ofNullable(m.message()).orElse("no clean address"));
      inForce.put(v.slot(), hold);
      added.add(hold);
    }
    return new Holds(inForce, added);
  }

  /**
   * A region the fleet can place proxies in now (its profile and provider are usable).
   *
   * @param blockedFraction share of its address space the fleet's blocklists cover, or null when
   *     unknown
   * @param subnets its usable subnets, or null when not read (held, or the cloud refused)
   */
  public record SlotObservation(Double blockedFraction, List<Subnet> subnets) {}

  /**
   * @param members every proxy of the fleet
   * @param holds the holds in force ({@link #holds})
   * @param slots the usable regions; a region missing here gets no new proxies
   * @param budget the rotation budget as status holds it (null when never charged)
   */
  public record Observation(
      ProxyFleetSpec spec,
      List<ProxyView> members,
      Map<SlotKey, Hold> holds,
      Map<SlotKey, SlotObservation> slots,
      RotationBudgetStatus budget,
      Instant now) {}

  /**
   * @param plan creates, deletes and rotation requests (the planner's)
   * @param held slots held (burned), with why
   * @param avoided slots whose blocked share is above spec.maxRegionBlockedPercent, with why
   * @param subnets subnets the creates may use, per slot
   * @param budgetAvailable rotations that could start before this plan (fractional)
   * @param budgetAfter the rotation budget to record after this plan
   * @param requeue look again after this long at the latest, or null for no timer
   */
  public record Decision(
      FleetPlan plan,
      Map<SlotKey, String> held,
      Map<SlotKey, String> avoided,
      Map<SlotKey, List<Subnet>> subnets,
      RotationSettings rotation,
      int perHour,
      double budgetAvailable,
      RotationBudgetStatus budgetAfter,
      Duration requeue) {

    /** Slots that get no new proxies now, with why: what the planner moves elsewhere. */
    public Map<SlotKey, String> unavailable() {
      Map<SlotKey, String> all = new LinkedHashMap<>(avoided);
      all.putAll(held);
      return all;
    }

    public boolean acts() {
      return !plan.creates().isEmpty()
          || !plan.deletes().isEmpty()
          || !plan.ipRotations().isEmpty();
    }
  }

  public static Decision decide(Observation o) {
    ProxyFleetSpec spec = o.spec();
    int maxBlockedPercent = FleetPolicy.maxRegionBlockedPercent(spec);
    Map<SlotKey, String> held = new LinkedHashMap<>();
    Map<SlotKey, String> avoided = new LinkedHashMap<>();
    Map<SlotKey, String> unavailable = new LinkedHashMap<>();
    Map<SlotKey, List<Subnet>> subnets = new LinkedHashMap<>();
    o.slots()
        .forEach(
            (slot, seen) -> {
              Hold hold = o.holds().get(slot);
              if (hold != null) {
                String why = "burned until " + hold.until();
                held.put(slot, why);
                unavailable.put(slot, why);
                return;
              }
              String why =
                  seen.blockedFraction() == null
                      ? null
                      : FleetPolicy.avoidance(seen.blockedFraction(), maxBlockedPercent);
              if (why != null) {
                avoided.put(slot, why);
                unavailable.put(slot, why);
              }
              if (seen.subnets() != null) {
                subnets.put(slot, seen.subnets());
              }
            });
    RotationSettings rotation = FleetPolicy.rotation(spec);
    int perHour = FleetPolicy.maxRotationsPerHour(spec);
    double available = RotationBudget.available(o.budget(), perHour, o.now());
    // Oldest first, so a plan does not depend on the order an informer lists proxies in (which ones
    // a
    // spent budget rotates first, for one). A stable sort: proxies created at the same instant keep
    // the caller's order.
    List<ProxyView> members =
        o.members().stream().sorted(Comparator.comparing(ProxyView::createdAt)).toList();
    FleetPlan plan =
        PLANNER.plan(
            new PlanInput(
                spec.getReplicas(),
                FleetPolicy.placements(spec),
                rotation,
                members,
                subnets,
                o.now(),
                unavailable,
                (int) Math.floor(available)));
    int started = plan.rotationsStartedTotal();
    RotationBudgetStatus after =
        started > 0 || o.budget() == null
            ? RotationBudget.charge(available, started, o.now())
            : o.budget();

    Duration requeue =
        rotation.maxAge() == null
            ? null
            : clamp(rotation.maxAge().dividedBy(20), Duration.ofSeconds(1), Duration.ofMinutes(1));
    Optional<Instant> nextHoldEnd =
        o.holds().values().stream().map(Hold::until).min(Comparator.naturalOrder());
    if (nextHoldEnd.isPresent()) {
      requeue = earliest(requeue, Duration.between(o.now(), nextHoldEnd.get()).plusMillis(100));
    }
    if (plan.rotationsHeldTotal() > 0) {
      requeue =
          earliest(
              requeue, RotationBudget.untilNextToken(available - started, perHour).plusMillis(50));
    }
    return new Decision(plan, held, avoided, subnets, rotation, perHour, available, after, requeue);
  }

  private static Duration earliest(Duration a, Duration b) {
    return a == null || b.compareTo(a) < 0 ? b : a;
  }

  private static Duration clamp(Duration d, Duration min, Duration max) {
    return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
  }
}
