package io.proxyfleet.testing.cloud;

import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.block.IpRange;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.cloud.capacity.ZoneCapacity;
import io.proxyfleet.cloud.ledger.AddressPool;
import io.proxyfleet.cloud.ledger.CloudLedger;
import io.proxyfleet.cloud.ledger.LedgerIds;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link CloudProvider} over a {@link CloudLedger}, with switches for the failures a real cloud
 * produces, so a controller test can call {@code reconcile} directly and fast (in the spirit of
 * Flink's {@code TestingFlinkService}). Every switch maps to the {@link Reason} the real adapters
 * map the matching SDK error to:
 *
 * <ul>
 *   <li>{@link #noCapacity(String)}: launches into that zone fail CAPACITY_UNAVAILABLE, and the
 *       zone is then held in {@link #unavailableZones(String)} as the adapters' {@link
 *       ZoneCapacity} does;
 *   <li>{@link #quotaExceeded(boolean)}: launches and allocations fail QUOTA_EXCEEDED;
 *   <li>{@link #instanceLimit(int)}: launches fail QUOTA_EXCEEDED while that many instances it
 *       launched live, as an account's running-instance quota does;
 *   <li>{@link #throttled(boolean)}, {@link #unauthorized(boolean)}: every call fails (verifyAccess
 *       too);
 *   <li>{@link #rejectSetting(String)}: verifyAccess fails INVALID with that message (a bad field);
 *   <li>{@link #loseInstance(String)}: the instance vanishes behind the operator's back;
 *   <li>{@link #slowCalls(Duration)}: every call waits that long (real time) before it runs;
 *   <li>{@link #failNext(String, Reason, int)}: the next calls of one operation fail;
 *   <li>{@link #loseResponseNext(String, Reason, int)}: the next calls of one operation take effect
 *       but answer an error, as a timeout or a dropped connection after the cloud acted does.
 * </ul>
 *
 * Calls are counted per operation ({@link CloudProvider} method names), failed ones included.
 * Regions must be declared; each gets three zones {@code <region>a..c} with one subnet each, and
 * draws addresses uniformly from its range. Thread-safe.
 */
public final class TestingCloudProvider implements CloudProvider {

  /** How long a zone stays unavailable after a capacity error, as the adapters' default. */
  public static final Duration CAPACITY_HOLD = Duration.ofMinutes(10);

  private final String type;
  private final Clock clock;
  private final CloudLedger ledger;
  private final ZoneCapacity capacity;
  private final Map<String, IpRange> regions = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();
  private final Set<String> zonesWithoutCapacity = ConcurrentHashMap.newKeySet();
  private final Map<String, Deque<Reason>> scripted = new ConcurrentHashMap<>();
  private final Map<String, Deque<Reason>> lostResponses = new ConcurrentHashMap<>();
  private volatile boolean quotaExceeded;
  private volatile int instanceLimit = Integer.MAX_VALUE;
  private final Set<String> launched = ConcurrentHashMap.newKeySet();
  private volatile boolean throttled;
  private volatile boolean unauthorized;
  private volatile String rejectedSetting;
  private volatile boolean listsWholeAccount = true;
  private volatile Duration delay = Duration.ZERO;
  private volatile Duration bootDelay = Duration.ZERO;
  private volatile Sleeper sleeper = d -> Thread.sleep(d.toMillis());

  /** How a slow call waits; tests of the switch itself record instead of sleeping. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  /**
   * @param type what {@link #type()} answers (aws, gcp, local), so profiles of that provider reach
   *     it
   * @param clock stamps launches and allocations and decides boots and capacity holds
   * @param seed the address draws' only randomness
   */
  public TestingCloudProvider(String type, Clock clock, long seed) {
    this.type = type;
    this.clock = clock;
    this.ledger = new CloudLedger(clock, new SplittableRandom(seed), LedgerIds.sequential());
    this.capacity = new ZoneCapacity(clock, CAPACITY_HOLD);
  }

  /**
   * Declares a region whose public addresses come from {@code cidr} (for example 203.0.113.0/24).
   */
  public TestingCloudProvider withRegion(String region, String cidr) {
    regions.put(region, IpAddresses.parseRange(cidr));
    return this;
  }

  /** Launched instances report PENDING this long (default 0: RUNNING at once). */
  public TestingCloudProvider withBootDelay(Duration bootDelay) {
    this.bootDelay = bootDelay;
    return this;
  }

  /** Replaces {@link Thread#sleep} for {@link #slowCalls(Duration)}. */
  public TestingCloudProvider withSleeper(Sleeper sleeper) {
    this.sleeper = sleeper;
    return this;
  }

  /** The bookkeeping underneath, to arrange or inspect state without counting calls. */
  public CloudLedger ledger() {
    return ledger;
  }

  // ---- Fault switches. ----

  public void noCapacity(String zone) {
    zonesWithoutCapacity.add(zone);
  }

  public void capacityRestored(String zone) {
    zonesWithoutCapacity.remove(zone);
  }

  public void quotaExceeded(boolean on) {
    quotaExceeded = on;
  }

  /**
   * At most this many live instances launched through this provider (instances arranged in the
   * ledger directly do not count); Integer.MAX_VALUE lifts the limit.
   */
  public void instanceLimit(int limit) {
    instanceLimit = limit;
  }

  public void throttled(boolean on) {
    throttled = on;
  }

  public void unauthorized(boolean on) {
    unauthorized = on;
  }

  /** verifyAccess fails INVALID with this message (name the field in it); null accepts again. */
  public void rejectSetting(String message) {
    rejectedSetting = message;
  }

  /**
   * Whether {@link #managedRegions} answers from the whole account (as GCE does) or not at all (as
   * EC2).
   */
  public void listsWholeAccount(boolean on) {
    listsWholeAccount = on;
  }

  /** Every call waits this long before it runs (zero: no wait). */
  public void slowCalls(Duration delay) {
    this.delay = delay;
  }

  /** The next {@code times} calls of {@code operation} fail with {@code reason}. */
  public void failNext(String operation, Reason reason, int times) {
    enqueue(scripted, operation, reason, times);
  }

  /**
   * The next {@code times} calls of {@code operation} change the ledger as a successful call would,
   * then fail with {@code reason}: the caller cannot tell whether the cloud acted. Only operations
   * that change something lose answers: launch, terminate, allocateAddress, associateAddress,
   * releaseAddress.
   */
  public void loseResponseNext(String operation, Reason reason, int times) {
    if (!Set.of("launch", "terminate", "allocateAddress", "associateAddress", "releaseAddress")
        .contains(operation)) {
      throw new IllegalArgumentException(
          operation + " changes nothing: a lost answer to it is the same as failNext");
    }
    enqueue(lostResponses, operation, reason, times);
  }

  private static void enqueue(
      Map<String, Deque<Reason>> queues, String operation, Reason reason, int times) {
    Deque<Reason> queue = queues.computeIfAbsent(operation, k -> new ArrayDeque<>());
    synchronized (queue) {
      for (int i = 0; i < times; i++) {
        queue.add(reason);
      }
    }
  }

  /**
   * The instance vanishes as if the cloud reclaimed it (spot interruption, a person in the
   * console): its address stays allocated, unassociated.
   *
   * @return whether a live instance was lost
   */
  public boolean loseInstance(String instanceId) {
    return ledger
        .instance(instanceId)
        .map(i -> ledger.terminate(i.region(), instanceId))
        .orElse(false);
  }

  // ---- Call counting. ----

  /** Calls of one operation since creation or {@link #resetCallCounts()}; failed calls count. */
  public long calls(String operation) {
    LongAdder count = calls.get(operation);
    return count == null ? 0 : count.sum();
  }

  public Map<String, Long> callCounts() {
    Map<String, Long> snapshot = new TreeMap<>();
    calls.forEach((op, count) -> snapshot.put(op, count.sum()));
    return Collections.unmodifiableMap(snapshot);
  }

  public void resetCallCounts() {
    calls.clear();
  }

  // ---- CloudProvider. ----

  @Override
  public String type() {
    return type;
  }

  @Override
  public void verifyAccess() {
    call("verifyAccess");
    String rejected = rejectedSetting;
    if (rejected != null) {
      throw new CloudException(Reason.INVALID, rejected);
    }
  }

  @Override
  public Set<String> unavailableZones(String region) {
    // A local read in the adapters too: no call is made and none is counted.
    return capacity.unavailableZones(region, type);
  }

  @Override
  public List<IpRange> addressSpace(String region) {
    IpRange range = regions.get(region);
    return range == null ? List.of() : List.of(range);
  }

  @Override
  public List<Subnet> subnets(String region) {
    call("subnets");
    range(region);
    return subnetsOf(region);
  }

  @Override
  public Optional<Instance> findInstance(String region, String ownerUid) {
    call("findInstance");
    range(region);
    return ledger.findInstance(region, ownerUid);
  }

  @Override
  public Instance launch(LaunchSpec spec) {
    call("launch");
    range(spec.region());
    if (spec.owner() == null) {
      throw new CloudException(
          Reason.INVALID, "owner must be set: every instance carries owner tags");
    }
    Optional<Instance> existing = ledger.findInstance(spec.region(), spec.owner().proxyUid());
    if (existing.isPresent()) {
      answer("launch");
      return existing.get();
    }
    Subnet subnet =
        subnetsOf(spec.region()).stream()
            .filter(s -> s.id().equals(spec.subnetId()))
            .findFirst()
            .orElseThrow(
                () ->
                    new CloudException(
                        Reason.INVALID,
                        "subnet '" + spec.subnetId() + "' does not exist in " + spec.region()));
    if (zonesWithoutCapacity.contains(subnet.zone())) {
      capacity.markUnavailable(spec.region(), subnet.zone(), type);
      throw new CloudException(
          Reason.CAPACITY_UNAVAILABLE,
          "InsufficientInstanceCapacity: no capacity in " + subnet.zone());
    }
    if (quotaExceeded) {
      throw new CloudException(
          Reason.QUOTA_EXCEEDED,
          "InstanceLimitExceeded: the instance quota of the account is spent");
    }
    int limit = instanceLimit;
    if (limit != Integer.MAX_VALUE && liveInstances() >= limit) {
      throw new CloudException(
          Reason.QUOTA_EXCEEDED,
          "InstanceLimitExceeded: the account may run " + limit + " instances");
    }
    Instance created = ledger.launch(spec.owner(), subnet, bootDelay);
    launched.add(created.id());
    answer("launch");
    return created;
  }

  @Override
  public void terminate(String region, String instanceId) {
    call("terminate");
    range(region);
    ledger.terminate(region, instanceId);
    answer("terminate");
  }

  @Override
  public List<Instance> listManagedInstances(String region, String cluster) {
    call("listManagedInstances");
    range(region);
    return ledger.listInstances(region, cluster);
  }

  @Override
  public Set<String> managedRegions(String cluster, Set<String> known) {
    call("managedRegions");
    if (!listsWholeAccount) {
      return Set.of();
    }
    Set<String> out = new java.util.TreeSet<>(ledger.regionsOf(cluster));
    out.removeAll(known);
    return out;
  }

  @Override
  public Address allocateAddress(String region, OwnerTags owner, Optional<String> subnetHint) {
    call("allocateAddress");
    IpRange range = range(region);
    if (owner == null) {
      throw new CloudException(
          Reason.INVALID, "owner must be set: every address carries owner tags");
    }
    if (quotaExceeded) {
      throw new CloudException(
          Reason.QUOTA_EXCEEDED, "AddressLimitExceeded: the address quota of the account is spent");
    }
    Address allocated = ledger.allocate(region, owner, uniform(region, range));
    answer("allocateAddress");
    return allocated;
  }

  @Override
  public List<Address> listManagedAddresses(String region, String cluster) {
    call("listManagedAddresses");
    range(region);
    return ledger.listAddresses(region, cluster);
  }

  @Override
  public void associateAddress(String region, String instanceId, Address address) {
    call("associateAddress");
    range(region);
    ledger.associate(region, instanceId, address.id());
    answer("associateAddress");
  }

  @Override
  public void releaseAddress(String region, Address address) {
    call("releaseAddress");
    range(region);
    ledger.release(region, address.id());
    answer("releaseAddress");
  }

  // ---- Internals. ----

  /** Counts the call, waits the configured delay, then fails it if a switch says so. */
  private void call(String operation) {
    calls.computeIfAbsent(operation, k -> new LongAdder()).increment();
    Duration wait = delay;
    if (!wait.isZero()) {
      try {
        sleeper.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CloudException(Reason.TRANSIENT, "interrupted while the call was slow");
      }
    }
    if (unauthorized) {
      throw new CloudException(
          Reason.UNAUTHORIZED,
          "UnauthorizedOperation: the credentials are not allowed to " + operation);
    }
    if (throttled) {
      throw new CloudException(
          Reason.THROTTLED, "RequestLimitExceeded: " + operation + " was throttled");
    }
    Reason reason = next(scripted, operation);
    if (reason != null) {
      throw new CloudException(reason, operation + " failed (injected " + reason + ")");
    }
  }

  /** After the ledger changed: the answer is lost if the script says so. */
  private void answer(String operation) {
    Reason reason = next(lostResponses, operation);
    if (reason != null) {
      throw new CloudException(
          reason, operation + " took effect but its answer was lost (injected " + reason + ")");
    }
  }

  private static Reason next(Map<String, Deque<Reason>> queues, String operation) {
    Deque<Reason> queue = queues.get(operation);
    if (queue == null) {
      return null;
    }
    synchronized (queue) {
      return queue.poll();
    }
  }

  private int liveInstances() {
    launched.removeIf(id -> ledger.instance(id).isEmpty());
    return launched.size();
  }

  private IpRange range(String region) {
    IpRange range = regions.get(region);
    if (range == null) {
      throw new CloudException(
          Reason.INVALID,
          "region '"
              + region
              + "' does not exist in this cloud; use one of "
              + new java.util.TreeSet<>(regions.keySet()));
    }
    return range;
  }

  private List<Subnet> subnetsOf(String region) {
    List<Subnet> out = new ArrayList<>();
    for (int z = 0; z < 3; z++) {
      char zone = (char) ('a' + z);
      out.add(new Subnet("subnet-" + region + zone, region, region + zone, "10." + z + ".0.0/16"));
    }
    return List.copyOf(out);
  }

  /**
   * Uniform over the free addresses of the range: never loops, and exhaustion is QUOTA_EXCEEDED.
   */
  private static AddressPool uniform(String region, IpRange range) {
    return (random, allocated) -> {
      List<Long> free = new ArrayList<>();
      for (long ip = range.startLo(); ip <= range.endLo(); ip++) {
        if (!allocated.test(ip)) {
          free.add(ip);
        }
      }
      if (free.isEmpty()) {
        throw new CloudException(
            Reason.QUOTA_EXCEEDED,
            "AddressLimitExceeded: every address of " + region + " is allocated");
      }
      return free.get(random.nextInt(free.size()));
    };
  }
}
