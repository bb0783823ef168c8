package io.proxyfleet.planner;

import io.proxyfleet.api.OnBlocked;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.planner.FleetPlan.Create;
import io.proxyfleet.planner.FleetPlan.Delete;
import io.proxyfleet.planner.FleetPlan.Reason;
import io.proxyfleet.planner.FleetPlan.RotateIp;
import io.proxyfleet.planner.FleetPlan.SlotSummary;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides creates, deletes and IP rotations for one fleet.
 *
 * <p>The rules, in order:
 *
 * <ol>
 *   <li>Failed proxies are deleted and replaced. Blocked proxies are re-IP'd ({@code ReassignIP})
 *       or deleted ({@code Replace}) at once, within the rotation budget: over budget they are held
 *       (counted in {@link FleetPlan#rotationsHeld()}) and planned again on the next pass.
 *   <li>Replicas are spread over placements by weight (largest remainder), evenly over each
 *       placement's regions, and over each region's subnets by least load. Unavailable slots
 *       (burned regions, regions above the blocked-fraction threshold) get no share; their proxies
 *       become excess and leave as {@code Rebalance} once the others are ready.
 *   <li>Each slot keeps its best proxies up to its desired count (ready, then coming up, then
 *       expired, then blocked; newest first); the rest are deleted, not-ready ones freely, ready
 *       ones only while at least {@code replicas - maxUnavailable} stay ready.
 *   <li>Proxies past their jittered {@code maxAge} are replaced surge-first: a new one is created
 *       within {@code maxSurge}; once it is ready the old one becomes excess and is retired. With
 *       no surge room, old ones are retired first within {@code maxUnavailable}. Retirements are
 *       charged to the rotation budget.
 * </ol>
 *
 * Executing a plan and planning again converges; the planner never needs to remember anything.
 */
public final class FleetPlanner {

  public FleetPlan plan(PlanInput in) {
    RotationSettings rotation = in.rotation();
    Map<SlotKey, Integer> desired =
        desiredPerSlot(in.replicas(), in.placements(), in.unavailable().keySet());

    List<Create> creates = new ArrayList<>();
    List<Delete> deletes = new ArrayList<>();
    List<RotateIp> ipRotations = new ArrayList<>();
    Budget budget = new Budget(in.rotationBudget());
    Set<SlotKey> withoutSubnets = new LinkedHashSet<>();

    // 1. Failed and blocked proxies.
    List<ProxyView> live = in.proxies().stream().filter(p -> !p.terminating()).toList();
    List<ProxyView> members = new ArrayList<>();
    Map<SlotKey, Deque<Reason>> replacementReasons = new HashMap<>();
    for (ProxyView p : live) {
      if (p.phase() == ProxyPhase.Failed) {
        // A dead proxy is replaced whatever the budget says (the budget protects against storms
        // of healthy proxies being churned), but it is a rotation and is counted as one.
        budget.count(Reason.Failed);
        deletes.add(new Delete(p.name(), Reason.Failed));
        replacementReasons.computeIfAbsent(p.slot(), k -> new ArrayDeque<>()).add(Reason.Failed);
      } else if (p.blocked()
          && (rotation.onBlocked() == OnBlocked.Replace || in.unavailable().containsKey(p.slot()))
          && budget.start(Reason.Blocked)) {
        // In a slot that gets no proxies now, a new IP would only be drawn from burned space: the
        // proxy is replaced in another region instead (the fallback to Replace).
        deletes.add(new Delete(p.name(), Reason.Blocked));
        replacementReasons.computeIfAbsent(p.slot(), k -> new ArrayDeque<>()).add(Reason.Blocked);
      } else {
        if (p.blocked()
            && rotation.onBlocked() == OnBlocked.ReassignIP
            && !in.unavailable().containsKey(p.slot())
            && !p.ipRotationPending()
            && p.phase() == ProxyPhase.Running
            && budget.start(Reason.Blocked)) {
          ipRotations.add(new RotateIp(p.name(), Reason.Blocked));
        }
        members.add(p);
      }
    }

    int ready = (int) members.stream().filter(ProxyView::ready).count();
    // Ready proxies that may still be taken away without going under replicas - maxUnavailable.
    int availability = ready - Math.max(0, in.replicas() - rotation.maxUnavailable());

    Map<SlotKey, List<ProxyView>> bySlot = new LinkedHashMap<>();
    desired.keySet().forEach(k -> bySlot.put(k, new ArrayList<>()));
    members.stream()
        .sorted(Comparator.comparing(ProxyView::slot))
        .forEach(p -> bySlot.computeIfAbsent(p.slot(), k -> new ArrayList<>()).add(p));

    // Replacements for proxies of slots that now get none go elsewhere, under the same reason.
    Deque<Reason> displaced = new ArrayDeque<>();
    replacementReasons.forEach(
        (slot, reasons) -> {
          if (desired.getOrDefault(slot, 0) == 0) {
            displaced.addAll(reasons);
          }
        });

    // 2-3. Keep the best per slot, scale up what is missing, collect excess.
    Map<SlotKey, List<ProxyView>> kept = new LinkedHashMap<>();
    List<ProxyView> excess = new ArrayList<>();
    Map<SlotKey, Map<String, Integer>> subnetLoad = new HashMap<>();
    for (Map.Entry<SlotKey, List<ProxyView>> e : bySlot.entrySet()) {
      SlotKey slot = e.getKey();
      List<ProxyView> ranked = new ArrayList<>(e.getValue());
      ranked.sort(keepOrder(in));
      int want = desired.getOrDefault(slot, 0);
      List<ProxyView> keep = ranked.subList(0, Math.min(want, ranked.size()));
      kept.put(slot, keep);
      excess.addAll(ranked.subList(keep.size(), ranked.size()));
      Map<String, Integer> load = new HashMap<>();
      keep.forEach(p -> load.merge(p.subnet(), 1, Integer::sum));
      subnetLoad.put(slot, load);
      Deque<Reason> reasons = replacementReasons.getOrDefault(slot, new ArrayDeque<>());
      for (int i = keep.size(); i < want; i++) {
        Reason reason =
            !reasons.isEmpty()
                ? reasons.poll()
                : !displaced.isEmpty() ? displaced.poll() : Reason.ScaleUp;
        if (!addCreate(in, slot, load, reason, creates)) {
          withoutSubnets.add(slot);
          break;
        }
      }
    }

    // Excess leaves in the reverse of keep order (blocked first, oldest first within a tier):
    // not-ready ones freely, ready ones only within the availability budget.
    excess.sort(
        Comparator.comparingInt((ProxyView p) -> -keepTier(p, expired(p, rotation, in)))
            .thenComparing(ProxyView::createdAt)
            .thenComparing(ProxyView::name));
    int excessDeleted = 0;
    for (ProxyView p : excess) {
      if (p.ready()) {
        if (availability <= 0) {
          continue;
        }
        availability--;
      }
      boolean expired = expired(p, rotation, in);
      if (expired && !budget.start(Reason.MaxAge)) {
        if (p.ready()) {
          availability++;
        }
        continue;
      }
      Reason reason =
          expired
              ? Reason.MaxAge
              : in.unavailable().containsKey(p.slot()) ? Reason.Rebalance : Reason.ScaleDown;
      deletes.add(new Delete(p.name(), reason));
      excessDeleted++;
    }

    // 4. Age rotation of kept proxies: surge first, else retire first.
    if (rotation.maxAge() != null) {
      int count = members.size() - excessDeleted + creates.size();
      int surge = in.replicas() + rotation.maxSurge() - count;
      for (Map.Entry<SlotKey, List<ProxyView>> e : kept.entrySet()) {
        List<ProxyView> expiredKept =
            e.getValue().stream()
                .filter(p -> expired(p, rotation, in))
                .sorted(Comparator.comparing(ProxyView::createdAt))
                .toList();
        for (ProxyView p : expiredKept) {
          if (surge > 0) {
            // The surge itself starts nothing (the old proxy's retirement is charged), but a plan
            // never surges for more rotations than the budget could then retire.
            if (!budget.canReserve()) {
              budget.hold(Reason.MaxAge);
            } else if (addCreate(
                in, e.getKey(), subnetLoad.get(e.getKey()), Reason.MaxAge, creates)) {
              surge--;
              budget.reserve();
            } else {
              withoutSubnets.add(e.getKey());
            }
          } else if (p.ready() && availability > 0) {
            if (budget.start(Reason.MaxAge)) {
              availability--;
              deletes.add(new Delete(p.name(), Reason.MaxAge));
            }
          }
        }
      }
    }

    return new FleetPlan(
        creates,
        deletes,
        ipRotations,
        summaries(desired, live, in.unavailable()),
        List.copyOf(withoutSubnets),
        budget.started,
        budget.held);
  }

  /**
   * The rotation budget of one plan: each rotation start is charged one unit; over budget the
   * rotation is held (counted, and planned again on a later pass, so nothing is dropped).
   */
  private static final class Budget {
    private int left;
    private int reserved;
    private final Map<Reason, Integer> started = new EnumMap<>(Reason.class);
    private final Map<Reason, Integer> held = new EnumMap<>(Reason.class);

    Budget(int available) {
      this.left = Math.max(0, available);
    }

    boolean start(Reason reason) {
      if (left <= 0) {
        hold(reason);
        return false;
      }
      if (left != PlanInput.UNLIMITED) {
        left--;
      }
      started.merge(reason, 1, Integer::sum);
      return true;
    }

    /** Records a rotation that is not subject to the budget. */
    void count(Reason reason) {
      started.merge(reason, 1, Integer::sum);
    }

    void hold(Reason reason) {
      held.merge(reason, 1, Integer::sum);
    }

    boolean canReserve() {
      return left == PlanInput.UNLIMITED || left - reserved > 0;
    }

    void reserve() {
      reserved++;
    }
  }

  static Map<SlotKey, Integer> desiredPerSlot(int replicas, List<PlacementView> placements) {
    return desiredPerSlot(replicas, placements, Set.of());
  }

  /**
   * Replicas per slot: by weight over placements (largest remainder), then evenly over regions,
   * skipping unavailable slots (a placement with none left gives its weight to the others). When
   * every slot is unavailable there is nowhere better to go, so the plain spread applies.
   */
  static Map<SlotKey, Integer> desiredPerSlot(
      int replicas, List<PlacementView> placements, Set<SlotKey> unavailable) {
    boolean anyAvailable =
        placements.stream()
            .anyMatch(
                p ->
                    p.regions().stream()
                        .anyMatch(r -> !unavailable.contains(new SlotKey(p.cloudProfile(), r))));
    Set<SlotKey> skip = anyAvailable ? unavailable : Set.of();
    Map<SlotKey, Integer> out = new LinkedHashMap<>();
    int[] placementWeights = new int[placements.size()];
    for (int i = 0; i < placements.size(); i++) {
      PlacementView p = placements.get(i);
      boolean usable =
          p.regions().stream().anyMatch(r -> !skip.contains(new SlotKey(p.cloudProfile(), r)));
      placementWeights[i] = usable ? p.weight() : 0;
    }
    int[] perPlacement = apportion(replicas, placementWeights);
    for (int i = 0; i < placements.size(); i++) {
      PlacementView p = placements.get(i);
      int[] weights = new int[p.regions().size()];
      for (int r = 0; r < weights.length; r++) {
        weights[r] = skip.contains(new SlotKey(p.cloudProfile(), p.regions().get(r))) ? 0 : 1;
      }
      int[] perRegion = apportion(perPlacement[i], weights);
      for (int r = 0; r < weights.length; r++) {
        out.merge(new SlotKey(p.cloudProfile(), p.regions().get(r)), perRegion[r], Integer::sum);
      }
    }
    return out;
  }

  /** Largest-remainder apportionment; ties go to the earlier entry. */
  static int[] apportion(int total, int[] weights) {
    int[] out = new int[weights.length];
    long sum = 0;
    for (int w : weights) sum += w;
    if (sum == 0 || total == 0) return out;
    long[] remainder = new long[weights.length];
    int given = 0;
    for (int i = 0; i < weights.length; i++) {
      long exact = (long) total * weights[i];
      out[i] = (int) (exact / sum);
      remainder[i] = exact % sum;
      given += out[i];
    }
    while (given < total) {
      int best = 0;
      for (int i = 1; i < weights.length; i++) {
        if (remainder[i] > remainder[best]) best = i;
      }
      out[best]++;
      remainder[best] = -1;
      given++;
    }
    return out;
  }

  private static boolean addCreate(
      PlanInput in, SlotKey slot, Map<String, Integer> load, Reason reason, List<Create> creates) {
    List<Subnet> subnets = in.subnets().get(slot);
    if (subnets == null || subnets.isEmpty()) {
      return false;
    }
    Subnet best = subnets.get(0);
    for (Subnet s : subnets) {
      if (load.getOrDefault(s.id(), 0) < load.getOrDefault(best.id(), 0)) best = s;
    }
    load.merge(best.id(), 1, Integer::sum);
    creates.add(new Create(slot, best.id(), reason));
    return true;
  }

  /** Which proxies a slot keeps first: ready, coming up, expired-but-ready, blocked, the rest. */
  private static Comparator<ProxyView> keepOrder(PlanInput in) {
    return Comparator.comparingInt((ProxyView p) -> keepTier(p, expired(p, in.rotation(), in)))
        .thenComparing(ProxyView::createdAt, Comparator.reverseOrder())
        .thenComparing(ProxyView::name);
  }

  private static int keepTier(ProxyView p, boolean expired) {
    if (p.ready() && !expired) return 0;
    boolean comingUp =
        !p.blocked()
            && (p.phase() == ProxyPhase.Pending
                || p.phase() == ProxyPhase.Launching
                || p.phase() == ProxyPhase.Rotating);
    if (comingUp && !expired) return 1;
    if (p.ready()) return 2;
    if (p.blocked()) return 3;
    return 4;
  }

  /** Past its deadline: maxAge pulled forward by up to 10%, by a fraction stable per proxy. */
  static boolean expired(ProxyView p, RotationSettings rotation, PlanInput in) {
    Duration maxAge = rotation.maxAge();
    if (maxAge == null || p.createdAt() == null) return false;
    double fraction = (p.jitterKey().hashCode() & 0x7fffffff) / (double) Integer.MAX_VALUE;
    long deadlineMillis =
        (long) (maxAge.toMillis() * (1 - RotationSettings.MAX_AGE_JITTER * fraction));
    return !p.createdAt().plusMillis(deadlineMillis).isAfter(in.now());
  }

  private static List<SlotSummary> summaries(
      Map<SlotKey, Integer> desired, List<ProxyView> live, Map<SlotKey, String> unavailable) {
    Map<SlotKey, int[]> counts = new LinkedHashMap<>();
    desired.keySet().forEach(k -> counts.put(k, new int[3]));
    Set<SlotKey> extra = new HashSet<>();
    for (ProxyView p : live) {
      if (!counts.containsKey(p.slot())) extra.add(p.slot());
    }
    extra.stream().sorted().forEach(k -> counts.put(k, new int[3]));
    for (ProxyView p : live) {
      int[] c = counts.get(p.slot());
      c[0]++;
      if (p.ready()) c[1]++;
      if (p.blocked()) c[2]++;
    }
    List<SlotSummary> out = new ArrayList<>();
    counts.forEach(
        (k, c) ->
            out.add(
                new SlotSummary(
                    k, desired.getOrDefault(k, 0), c[0], c[1], c[2], unavailable.get(k))));
    return out;
  }
}
