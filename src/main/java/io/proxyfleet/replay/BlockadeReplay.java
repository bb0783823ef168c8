package io.proxyfleet.replay;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyFleetSpec;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.block.BlockChecker;
import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.BlockMatch;
import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.decide.DecisionLog;
import io.proxyfleet.decide.FleetStep;
import io.proxyfleet.decide.ProxyStep;
import io.proxyfleet.planner.FleetPlan;
import io.proxyfleet.planner.PlacementView;
import io.proxyfleet.planner.ProxyView;
import io.proxyfleet.planner.RotationSettings;
import io.proxyfleet.planner.SlotKey;
import io.proxyfleet.policy.FleetPolicy;
import io.proxyfleet.proxy.AddressAssignment;
import io.proxyfleet.ranges.CloudRanges;
import io.proxyfleet.status.Reason;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.random.RandomGenerator;

/**
 * Runs one fleet through a block timeline on a simulated clock against {@link SimulatedCloud}s.
 *
 * <p>Every decision is the operator's, made by the same functions: {@link FleetStep} decides burned
 * regions, creates, deletes, IP rotations and the rotation budget for the fleet, {@link ProxyStep}
 * decides launch, boot, address assignment and failure for each proxy, and every address comes from
 * {@link AddressAssignment#assignClean}. The reconcilers call them on what they observe in
 * Kubernetes and the cloud; this class keeps only the simulated world around them: the clock, the
 * clouds, the block timeline (true and operator-known indexes) and the report. Passes run every
 * {@link ReplaySettings#period()} and also at block events, boot completions and hold expiries;
 * within a pass, fleet and proxy steps repeat until nothing changes, as their watch events would
 * make them do. Cloud calls take no simulated time.
 *
 * <p>What is blocked and what the operator knows are two indexes: the truth (the timeline, plus a
 * {@link LearningCensor} when set) and the operator's view (the timeline after the list lag, plus
 * what a {@link VantageRounds} vantage found when {@link DetectionModel} says probes).
 */
public final class BlockadeReplay {

  static final String CLUSTER = "replay";
  private static final String NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
  private static final int MAX_ROUNDS_PER_PASS = 10;
  private static final ProxyCredentials CREDENTIALS = new ProxyCredentials("replay", "replay");

  private final ProxyFleet fleet;
  private final ProxyFleetSpec spec;
  private final Map<String, SimulatedCloud> clouds;
  private final BlockTimeline timeline;
  private final ReplaySettings settings;
  private final SimulatedClock clock;
  private final RandomGenerator names;
  private final AddressAssignment addresses;
  private final Duration launchTimeout;
  // Pure functions of the spec, which a replay never changes: computed once instead of every pass.
  private final List<PlacementView> placements;
  private final RotationSettings rotation;

  private final Map<String, SimProxy> proxies = new LinkedHashMap<>();

  /** Burned regions in force, as the fleet's status would hold them. */
  private List<FleetStep.Hold> holds = List.of();

  private io.proxyfleet.api.RotationBudgetStatus budget;
  private DecisionLog decisions = DecisionLog.NONE;

  private BlockIndex trueIndex = BlockIndex.EMPTY;
  private BlockIndex operatorIndex = BlockIndex.EMPTY;
  // The parts the two indexes are made of: what the timeline blocks (true, and as the lists lag)
  // and what the learning censor and the vantage add.
  private BlockIndex listTruth = BlockIndex.EMPTY;
  private BlockIndex listView = BlockIndex.EMPTY;
  private LearningCensor censor;
  private DetectionModel detection = DetectionModel.LISTS;
  private VantageRounds vantage;
  private final java.util.Set<String> found = new java.util.HashSet<>();
  private long foundByLists;
  private long foundByProbes;
  private long foundByProbesClean;
  private FleetPlan lastPlan;

  private long passes;
  private long drawsBlocked;
  private long draws;
  private long ipRotations;
  private final Map<String, Long> rotationsByReason = new TreeMap<>();
  private final Map<String, Long> deletesByReason = new TreeMap<>();
  private final Map<String, Long> failuresByReason = new TreeMap<>();

  /** One proxy as the API would hold it: spec fields plus the status the proxy step writes. */
  private static final class SimProxy {
    final String name;
    final String uid;
    final SlotKey slot;
    final String subnet;
    final Instant createdAt;
    ProxyPhase phase = ProxyPhase.Pending;
    String publicIp;
    String instanceId;
    Reason failure;
    boolean rotationPending;
    boolean terminating;

    SimProxy(String name, String uid, SlotKey slot, String subnet, Instant createdAt) {
      this.name = name;
      this.uid = uid;
      this.slot = slot;
      this.subnet = subnet;
      this.createdAt = createdAt;
    }
  }

  /**
   * @param fleet a fleet that passed {@code FleetValidator}
   * @param clouds the simulated cloud of every cloud profile the fleet places proxies with
   * @param clock the clock the clouds were built with
   * @param names randomness for proxy names and UIDs
   */
  public BlockadeReplay(
      ProxyFleet fleet,
      Map<String, SimulatedCloud> clouds,
      BlockTimeline timeline,
      ReplaySettings settings,
      SimulatedClock clock,
      RandomGenerator names) {
    this.fleet = fleet;
    this.spec = fleet.getSpec();
    this.clouds = Map.copyOf(clouds);
    this.timeline = timeline;
    this.settings = settings;
    this.clock = clock;
    this.names = names;
    this.addresses = new AddressAssignment(CLUSTER, settings.maxDraws());
    this.launchTimeout = FleetPolicy.launchTimeout(spec);
    this.placements = FleetPolicy.placements(spec);
    this.rotation = FleetPolicy.rotation(spec);
    for (PlacementView p : placements) {
      if (!clouds.containsKey(p.cloudProfile())) {
        throw new IllegalArgumentException(
            "no simulated cloud for cloudProfile '" + p.cloudProfile() + "'");
      }
    }
  }

  /**
   * A replay whose clouds draw from the given ranges (per cloud profile), all randomness from one
   * seed.
   */
  public static BlockadeReplay create(
      ProxyFleet fleet,
      Map<String, CloudRanges> rangesByProfile,
      BlockTimeline timeline,
      ReplaySettings settings) {
    SimulatedClock clock = new SimulatedClock(settings.start());
    SplittableRandom root = new SplittableRandom(settings.seed());
    Map<String, SimulatedCloud> clouds = new LinkedHashMap<>();
    // Profiles sorted so the same seed gives each cloud the same stream, whatever the map order.
    new TreeMap<>(rangesByProfile)
        .forEach(
            (profile, ranges) ->
                clouds.put(
                    profile,
                    new SimulatedCloud(
                        ranges.publisher().wireName(),
                        ranges,
                        clock,
                        root.split(),
                        settings.bootDelay(),
                        settings.subnetsPerRegion())));
    return new BlockadeReplay(fleet, clouds, timeline, settings, clock, root.split());
  }

  /**
   * Adds a censor that blocks the addresses it learns from the published endpoints (none by
   * default).
   */
  public BlockadeReplay censor(LearningCensor.Settings settings) {
    this.censor = settings == null ? null : new LearningCensor(settings);
    return this;
  }

  /** How the operator learns of blocks ({@link DetectionModel#LISTS} by default). */
  public BlockadeReplay detection(DetectionModel model) {
    this.detection = Objects.requireNonNull(model, "model");
    return this;
  }

  /**
   * Reports every step decision to {@code log} (the test comparing the replay with the operator).
   */
  public BlockadeReplay recordDecisionsTo(DecisionLog log) {
    this.decisions = log;
    return this;
  }

  public ReplayReport run() {
    long wallStart = System.nanoTime();
    Instant start = settings.start();
    Instant end = settings.end();
    TreeMap<Instant, List<BlockTimeline.Event>> steps = timeline.steps();
    TreeSet<Instant> trueTimes = new TreeSet<>(steps.subMap(start, false, end, false).keySet());
    TreeSet<Instant> detectTimes = new TreeSet<>();
    steps.keySet().forEach(t -> detectTimes.add(t.plus(settings.detectionDelay())));
    listTruth = timeline.indexAt(start);
    trueIndex = listTruth;
    if (detection.probes()) {
      io.proxyfleet.api.ProbesSpec probes =
          Optional.ofNullable(spec.getProbes()).orElseGet(io.proxyfleet.api.ProbesSpec::new);
      vantage =
          new VantageRounds(
              start,
              detection.probeInterval(),
              Optional.ofNullable(detection.confirmRounds()).orElse(probes.getConfirmRounds()),
              Optional.ofNullable(detection.rangeThreshold()).orElse(probes.getRangeThreshold()),
              io.proxyfleet.api.Durations.parse(probes.getLearnedTTL()));
    }
    // CIDRs reported before, shown once: later sources repeating a range do not make a new block.
    java.util.Set<String> reported = new java.util.HashSet<>();
    steps.headMap(start, true).values().forEach(list -> list.forEach(e -> reported.add(e.cidr())));
    listView = timeline.indexAt(start.minus(settings.detectionDelay()));
    operatorIndex = listView;

    List<OpenStep> events = new ArrayList<>();
    Instant readySince = null;
    double servingAll = 0;
    double servingReady = 0;
    double desiredAll = 0;
    double desiredReady = 0;
    int replicas = spec.getReplicas();
    Instant t = start;
    Instant nextTick = start;
    while (t.isBefore(end)) {
      boolean listStep = trueTimes.contains(t);
      List<String> censored = censor == null ? List.of() : censor.advance(t);
      if (listStep || !censored.isEmpty()) {
        BlockIndex before = trueIndex;
        if (listStep) listTruth = timeline.indexAt(t);
        trueIndex =
            censor == null
                ? listTruth
                : BlockIndex.builder().addAll(listTruth).addAll(censor.blocked()).build();
        int affected = 0;
        for (SimProxy p : proxies.values()) {
          if (serving(p, before) && !serving(p, trueIndex)) affected++;
        }
        List<String> cidrs =
            listStep
                ? steps.get(t).stream()
                    .map(BlockTimeline.Event::cidr)
                    .distinct()
                    .filter(reported::add)
                    .toList()
                : List.of();
        events.add(
            new OpenStep(
                t, cidrs, censored, trueIndex.ipv4Addresses() - before.ipv4Addresses(), affected));
      }
      boolean viewChanged = false;
      if (detectTimes.contains(t)) {
        listView = timeline.indexAt(t.minus(settings.detectionDelay()));
        viewChanged = true;
      }
      if (vantage != null && vantage.isRound(t)) {
        viewChanged |= vantage.report(t);
      }
      if (viewChanged) {
        if (vantage == null) {
          operatorIndex = listView;
        } else {
          BlockIndex.Builder view = BlockIndex.builder().addAll(listView);
          vantage.learnedRanges().forEach(view::add);
          operatorIndex = view.build();
        }
        countFound();
      }
      clock.set(t);
      pass(t);
      // The world reacts to what the pass left: the censor reads the endpoints, a round starts.
      if (censor != null) censor.observe(t, published().values());
      if (vantage != null && vantage.isRound(t))
        vantage.probe(t, unblocked(), ip -> trueIndex.match(ip).isPresent());
      int servingNow = (int) proxies.values().stream().filter(p -> serving(p, trueIndex)).count();
      if (servingNow >= replicas) {
        if (readySince == null) readySince = t;
        for (OpenStep e : events) {
          if (e.affected > 0 && e.recoveredAt == null) e.recoveredAt = t;
        }
      }
      if (!nextTick.isAfter(t)) {
        nextTick = nextTick.plus(settings.period());
        while (!nextTick.isAfter(t)) nextTick = nextTick.plus(settings.period());
      }
      Instant next = min(nextTick, end);
      next = min(next, trueTimes.higher(t));
      next = min(next, detectTimes.higher(t));
      if (censor != null) next = min(next, censor.nextBlockAfter(t).orElse(null));
      if (vantage != null) next = min(next, vantage.nextRoundAfter(t));
      for (SimulatedCloud c : clouds.values()) next = min(next, c.nextBootAfter(t).orElse(null));
      for (FleetStep.Hold hold : holds) if (hold.until().isAfter(t)) next = min(next, hold.until());
      double seconds = Duration.between(t, next).toMillis() / 1000.0;
      double served = Math.min(servingNow, replicas) * seconds;
      servingAll += served;
      desiredAll += replicas * seconds;
      if (readySince != null) {
        servingReady += served;
        desiredReady += replicas * seconds;
      }
      t = next;
    }
    return report(
        end,
        events,
        readySince,
        readySince != null ? servingReady : servingAll,
        readySince != null ? desiredReady : desiredAll,
        System.nanoTime() - wallStart);
  }

  /** One reconcile pass: fleet and proxy steps until neither has anything left to do. */
  private void pass(Instant now) {
    passes++;
    BlockChecker checker =
        ip -> operatorIndex.match(ip).map(r -> new BlockMatch("timeline", r.describe()));
    for (int round = 0; round < MAX_ROUNDS_PER_PASS; round++) {
      boolean acted = fleetStep(now, checker);
      boolean changed = false;
      for (SimProxy p : List.copyOf(proxies.values())) {
        changed |= proxyStep(p, now, checker);
      }
      if (!acted && !changed) {
        return;
      }
    }
  }

  /**
   * The fleet's pass: what {@code FleetReconciler} observes, here read from the simulated world,
   * then the same {@link FleetStep} decision, acted on without an API.
   */
  private boolean fleetStep(Instant now, BlockChecker checker) {
    List<ProxyView> views = proxies.values().stream().map(p -> view(p, checker)).toList();
    List<FleetStep.Member> members = new ArrayList<>();
    int i = 0;
    for (SimProxy p : proxies.values()) {
      members.add(new FleetStep.Member(views.get(i++), p.failure, null));
    }
    FleetStep.Holds held = FleetStep.holds(spec, holds, members, now);
    holds = List.copyOf(held.inForce().values());
    Map<SlotKey, FleetStep.SlotObservation> slots = new LinkedHashMap<>();
    for (PlacementView placement : placements) {
      SimulatedCloud cloud = clouds.get(placement.cloudProfile());
      for (String region : placement.regions()) {
        SlotKey slot = new SlotKey(placement.cloudProfile(), region);
        java.util.OptionalDouble fraction =
            io.proxyfleet.policy.BlockedFractions.fraction(
                cloud.addressSpace(region), operatorIndex);
        List<Subnet> subnets = null;
        if (!held.inForce().containsKey(slot)) {
          try {
            subnets = cloud.subnets(region);
          } catch (CloudException e) {
            // Like the reconciler: a region the cloud refuses gets no new proxies; the report shows
            // the gap.
          }
        }
        slots.put(
            slot,
            new FleetStep.SlotObservation(
                fraction.isPresent() ? fraction.getAsDouble() : null, subnets));
      }
    }
    FleetStep.Decision decision =
        FleetStep.decide(
            new FleetStep.Observation(spec, views, held.inForce(), slots, budget, now));
    FleetPlan plan = decision.plan();
    lastPlan = plan;
    for (FleetPlan.Delete d : plan.deletes()) {
      proxies.get(d.name()).terminating = true;
      deletesByReason.merge(d.reason().name(), 1L, Long::sum);
    }
    for (FleetPlan.RotateIp r : plan.ipRotations()) {
      proxies.get(r.name()).rotationPending = true;
    }
    List<String> created = new ArrayList<>();
    for (FleetPlan.Create c : plan.creates()) {
      SimProxy p =
          new SimProxy(
              newName(),
              new UUID(names.nextLong(), names.nextLong()).toString(),
              c.slot(),
              c.subnet(),
              now);
      proxies.put(p.name, p);
      created.add(p.name);
    }
    DecisionLog.fleetPass(
        decisions, now, fleet.getMetadata().getName(), decision, held.added(), created);
    plan.rotationsStarted()
        .forEach(
            (reason, count) -> rotationsByReason.merge(reason.name(), (long) count, Long::sum));
    budget = decision.budgetAfter();
    return decision.acts();
  }

  /**
   * One proxy's pass: what {@code ProxyReconciler} observes (its VM, found by owner tag), then the
   * same {@link ProxyStep} decisions, acted on against the simulated cloud; on delete, its cleanup.
   */
  private boolean proxyStep(SimProxy p, Instant now, BlockChecker checker) {
    SimulatedCloud cloud = clouds.get(p.slot.cloudProfile());
    String region = p.slot.region();
    try {
      if (p.terminating) {
        ProxyStep.Cleanup step = ProxyStep.cleanup(cloud.findInstance(region, p.uid));
        decisions.proxy(now, p.name, step);
        if (step instanceof ProxyStep.Terminate) {
          cloud.findInstance(region, p.uid).ifPresent(i -> cloud.terminate(region, i.id()));
          step = ProxyStep.cleanup(cloud.findInstance(region, p.uid));
          decisions.proxy(now, p.name, step);
          if (step instanceof ProxyStep.Terminate) {
            return false;
          }
        }
        addresses.releaseAll(cloud, region, p.uid);
        proxies.remove(p.name);
        return true;
      }
      ProxyPhase phaseBefore = p.phase;
      String ipBefore = p.publicIp;
      Optional<Instance> found = cloud.findInstance(region, p.uid);
      ProxyStep.Observation seen =
          new ProxyStep.Observation(
              p.phase,
              p.instanceId,
              p.publicIp,
              p.createdAt,
              launchTimeout,
              found,
              found.map(Instance::publicIp).map(checker::isBlocked).orElse(false),
              p.rotationPending,
              now);
      ProxyStep.Decision decision = decide(p, seen);
      if (decision instanceof ProxyStep.Launch) {
        Instance launched =
            cloud.launch(
                new LaunchSpec(
                    owner(p),
                    region,
                    p.subnet,
                    Protocol.fromWireName(spec.getProtocol()).orElse(Protocol.SOCKS5),
                    spec.getPort(),
                    CREDENTIALS));
        p.instanceId = launched.id();
        found = Optional.of(launched);
        decision = decide(p, seen.launched(launched));
      }
      if (decision instanceof ProxyStep.StayFailed) {
        return false;
      }
      if (decision instanceof ProxyStep.Fail fail) {
        return fail(p, fail.reason());
      }
      if (decision instanceof ProxyStep.Boot) {
        p.phase = ProxyPhase.Launching;
        return p.phase != phaseBefore;
      }
      Instance instance = found.orElseThrow();
      if (decision instanceof ProxyStep.AssignAddress assign) {
        if (assign.rotation()) {
          p.phase = ProxyPhase.Rotating;
        }
        Optional<String> hint = assign.firstAddress() ? Optional.of(p.subnet) : Optional.empty();
        Optional<io.proxyfleet.cloud.Address> kept =
            assign.keepNewer()
                ? addresses.keepCurrent(cloud, region, owner(p), instance)
                : Optional.empty();
        AddressAssignment.Result result =
            kept.map(a -> new AddressAssignment.Result(a, 0, 0))
                .orElseGet(
                    () ->
                        addresses.assignClean(
                            cloud,
                            region,
                            owner(p),
                            instance,
                            hint,
                            checker,
                            FleetPolicy.maxAddressDraws(spec, addresses.maxDraws())));
        draws += result.draws();
        drawsBlocked += result.blockedDraws();
        ProxyStep.Decision after = ProxyStep.afterAssignment(result.clean());
        decisions.proxy(now, p.name, after);
        if (after instanceof ProxyStep.Fail fail) {
          return fail(p, fail.reason());
        }
        if (assign.rotation()) {
          ipRotations++;
        }
        p.publicIp = result.address().ip();
        p.rotationPending = false;
      } else {
        p.publicIp = instance.publicIp();
      }
      p.phase = ProxyPhase.Running;
      return p.phase != phaseBefore || !Objects.equals(ipBefore, p.publicIp);
    } catch (CloudException e) {
      ProxyStep.Decision decision =
          ProxyStep.onCloudError(e.reason(), p.phase, p.instanceId != null);
      decisions.proxy(now, p.name, decision);
      if (decision instanceof ProxyStep.Fail fail) {
        return fail(p, fail.reason());
      }
      // Throttling, capacity, quota: the phase is kept and the next pass retries.
      p.phase = ((ProxyStep.Retry) decision).phase();
      return false;
    }
  }

  private ProxyStep.Decision decide(SimProxy p, ProxyStep.Observation seen) {
    ProxyStep.Decision decision = ProxyStep.decide(seen);
    decisions.proxy(seen.now(), p.name, decision);
    return decision;
  }

  private boolean fail(SimProxy p, Reason reason) {
    p.phase = ProxyPhase.Failed;
    p.failure = reason;
    failuresByReason.merge(reason.name(), 1L, Long::sum);
    return true;
  }

  private ProxyView view(SimProxy p, BlockChecker checker) {
    BlockMatch match = p.publicIp == null ? null : checker.check(p.publicIp).orElse(null);
    return new ProxyView(
        p.name,
        p.uid,
        p.slot,
        p.subnet,
        p.phase,
        p.publicIp,
        match,
        p.terminating,
        p.rotationPending,
        p.createdAt);
  }

  /**
   * Serving on an address that is really unblocked (whether or not the operator knows yet) and,
   * with a vantage, that the operator published.
   */
  private boolean serving(SimProxy p, BlockIndex truth) {
    return !p.terminating
        && p.phase == ProxyPhase.Running
        && p.publicIp != null
        && !truth.containsIpv4(IpAddresses.parseIpv4(p.publicIp))
        && (vantage == null || vantage.publishable(p.uid + "/" + p.publicIp));
  }

  /**
   * Running proxies on an address the operator does not know to be blocked, keyed {@code
   * "<uid>/<ip>"}: what a vantage probes.
   */
  private Map<String, String> unblocked() {
    Map<String, String> out = new LinkedHashMap<>();
    for (SimProxy p : proxies.values()) {
      if (!p.terminating
          && p.phase == ProxyPhase.Running
          && p.publicIp != null
          && operatorIndex.match(p.publicIp).isEmpty()) {
        out.put(p.uid + "/" + p.publicIp, p.publicIp);
      }
    }
    return out;
  }

  /**
   * What the endpoints Secret lists: the unblocked proxies, and with a vantage only those it
   * reached once (the operator publishes a fresh address after an inside check). The censor reads
   * this.
   */
  private Map<String, String> published() {
    Map<String, String> out = unblocked();
    if (vantage != null) out.keySet().removeIf(key -> !vantage.publishable(key));
    return out;
  }

  /**
   * Credits each address the operator newly knows to be blocked to what told it: the lists first
   * (when both know, the lists needed no probe), else the learned blocks.
   */
  private void countFound() {
    for (SimProxy p : proxies.values()) {
      if (p.terminating
          || p.phase != ProxyPhase.Running
          || p.publicIp == null
          || found.contains(p.uid + "/" + p.publicIp)) {
        continue;
      }
      if (listView.match(p.publicIp).isPresent()) {
        found.add(p.uid + "/" + p.publicIp);
        foundByLists++;
      } else if (operatorIndex
          .match(p.publicIp)
          .isPresent()) { // not in a list: learned from probes
        found.add(p.uid + "/" + p.publicIp);
        foundByProbes++;
        if (trueIndex.match(p.publicIp).isEmpty()) foundByProbesClean++;
      }
    }
  }

  private OwnerTags owner(SimProxy p) {
    return new OwnerTags(
        CLUSTER, fleet.getMetadata().getNamespace(), fleet.getMetadata().getName(), p.name, p.uid);
  }

  private String newName() {
    while (true) {
      StringBuilder sb = new StringBuilder(fleet.getMetadata().getName()).append('-');
      for (int i = 0; i < 5; i++)
        sb.append(NAME_ALPHABET.charAt(names.nextInt(NAME_ALPHABET.length())));
      if (!proxies.containsKey(sb.toString())) return sb.toString();
    }
  }

  private static Instant min(Instant a, Instant b) {
    return b == null || a.isBefore(b) ? a : b;
  }

  /** A block event while the replay runs: recovery is filled in when the fleet is whole again. */
  private static final class OpenStep {
    final Instant at;
    final List<String> cidrs;
    final List<String> censored;
    final long newlyBlocked;
    final int affected;
    Instant recoveredAt;

    OpenStep(
        Instant at, List<String> cidrs, List<String> censored, long newlyBlocked, int affected) {
      this.at = at;
      this.cidrs = cidrs;
      this.censored = censored;
      this.newlyBlocked = newlyBlocked;
      this.affected = affected;
    }
  }

  private ReplayReport report(
      Instant end,
      List<OpenStep> open,
      Instant readySince,
      double servingSeconds,
      double desiredSeconds,
      long wallNanos) {
    List<ReplayReport.Step> steps = new ArrayList<>();
    List<Duration> recoveries = new ArrayList<>();
    int affected = 0;
    for (OpenStep e : open) {
      Duration recovery =
          e.affected > 0 && e.recoveredAt != null ? Duration.between(e.at, e.recoveredAt) : null;
      steps.add(
          new ReplayReport.Step(e.at, e.cidrs, e.censored, e.newlyBlocked, e.affected, recovery));
      if (e.affected > 0) {
        affected++;
        if (recovery != null) recoveries.add(recovery);
      }
    }
    recoveries.sort(Comparator.naturalOrder());
    ReplayReport.Recovery recovery =
        new ReplayReport.Recovery(
            affected,
            recoveries.size(),
            affected - recoveries.size(),
            percentile(recoveries, 50),
            percentile(recoveries, 95),
            recoveries.isEmpty() ? null : recoveries.get(recoveries.size() - 1));

    List<ReplayReport.Spread> spread = new ArrayList<>();
    Map<SlotKey, Integer> desired = new LinkedHashMap<>();
    if (lastPlan != null) lastPlan.slots().forEach(s -> desired.put(s.slot(), s.desired()));
    for (PlacementView p : placements) {
      for (String r : p.regions()) desired.putIfAbsent(new SlotKey(p.cloudProfile(), r), 0);
    }
    desired.forEach(
        (slot, want) -> {
          List<SimProxy> in =
              proxies.values().stream().filter(p -> p.slot.equals(slot) && !p.terminating).toList();
          int serving = (int) in.stream().filter(p -> serving(p, trueIndex)).count();
          int onBlocked =
              (int)
                  in.stream()
                      .filter(
                          p ->
                              p.phase == ProxyPhase.Running
                                  && p.publicIp != null
                                  && trueIndex.match(p.publicIp).isPresent())
                      .count();
          spread.add(
              new ReplayReport.Spread(
                  slot.cloudProfile(), slot.region(), want, in.size(), serving, onBlocked));
        });
    List<ReplayReport.Exposure> exposure = new ArrayList<>();
    for (SlotKey slot : desired.keySet()) {
      SimulatedCloud cloud = clouds.get(slot.cloudProfile());
      cloud
          .ranges()
          .exposure(slot.region(), trueIndex)
          .ifPresent(x -> exposure.add(new ReplayReport.Exposure(cloud.type(), x)));
    }
    long launched = clouds.values().stream().mapToLong(SimulatedCloud::launches).sum();
    long allocated = clouds.values().stream().mapToLong(SimulatedCloud::allocations).sum();
    int inWindow =
        (int)
            timeline.events().stream()
                .filter(e -> !e.at().isBefore(settings.start()) && e.at().isBefore(end))
                .count();
    return new ReplayReport(
        fleet.getMetadata().getName(),
        spec.getReplicas(),
        rotation.onBlocked().name(),
        settings,
        end,
        inWindow,
        passes,
        readySince == null ? null : Duration.between(settings.start(), readySince),
        desiredSeconds == 0 ? 1.0 : servingSeconds / desiredSeconds,
        servingSeconds / 3600,
        desiredSeconds / 3600,
        steps,
        recovery,
        allocated,
        drawsBlocked,
        Map.copyOf(rotationsByReason),
        Map.copyOf(deletesByReason),
        Map.copyOf(failuresByReason),
        ipRotations,
        launched,
        spread,
        exposure,
        wallNanos / 1_000_000,
        detectionReport());
  }

  private ReplayReport.Detection detectionReport() {
    return new ReplayReport.Detection(
        detection.mode().wireName(),
        settings.detectionDelay(),
        vantage == null ? null : detection.probeInterval(),
        vantage == null ? 0 : vantage.confirmRounds(),
        vantage == null ? 0 : vantage.rangeThreshold(),
        vantage == null ? 0 : vantage.rounds(),
        censor == null ? null : censor.settings(),
        censor == null ? 0 : censor.addressesBlocked(),
        censor == null ? 0 : censor.rangesBlocked(),
        foundByLists,
        foundByProbes,
        foundByProbesClean);
  }

  /** Nearest rank: the smallest value with at least p% of the values at or below it. */
  static Duration percentile(List<Duration> sorted, int p) {
    if (sorted.isEmpty()) return null;
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, rank - 1));
  }

  /**
   * Draws counted by the assignments (equal to the clouds' allocations; kept for a cross-check).
   */
  long drawsCounted() {
    return draws;
  }

  Clock clock() {
    return clock;
  }

  /** The proxies alive at the end, for tests: name, slot, phase, IP. */
  List<String> describeProxies() {
    List<String> out = new ArrayList<>();
    for (Iterator<SimProxy> it = proxies.values().iterator(); it.hasNext(); ) {
      SimProxy p = it.next();
      out.add(p.name + " " + p.slot + " " + p.phase + " " + p.publicIp);
    }
    return out;
  }
}
