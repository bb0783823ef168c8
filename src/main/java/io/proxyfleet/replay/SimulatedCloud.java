package io.proxyfleet.replay;

import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.ranges.CloudRanges;
import io.proxyfleet.ranges.RegionRanges;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * A cloud that exists only in memory, with the Elastic-IP semantics of {@link CloudProvider}: public
 * addresses are drawn at random from a region's published prefixes (uniform over addresses, so a
 * prefix is picked in proportion to its size), instances boot for a fixed delay on the given clock.
 * Single-threaded by design: the replay drives it from one loop.
 */
public final class SimulatedCloud implements CloudProvider {

  /** Draws retried when an address is already allocated before the region counts as exhausted. */
  private static final int MAX_COLLISIONS = 64;

  private final String type;
  private final CloudRanges ranges;
  private final Clock clock;
  private final RandomGenerator random;
  private final Duration bootDelay;
  private final int subnetsPerRegion;

  private final Map<String, List<Subnet>> subnets = new HashMap<>();
  private final Map<String, SimInstance> instances = new LinkedHashMap<>();
  private final Map<String, SimAddress> addresses = new LinkedHashMap<>();
  private final Set<Long> allocatedIps = new HashSet<>();
  private final Map<String, SimInstance> liveByOwner = new HashMap<>();
  private long instanceCounter;
  private long addressCounter;
  private long allocations;
  private long launches;

  private static final class SimInstance {
    final String id;
    final String region;
    final Subnet subnet;
    final Map<String, String> tags;
    final Instant launchedAt;
    SimAddress address;
    boolean terminated;

    SimInstance(String id, String region, Subnet subnet, Map<String, String> tags, Instant launchedAt) {
      this.id = id;
      this.region = region;
      this.subnet = subnet;
      this.tags = tags;
      this.launchedAt = launchedAt;
    }
  }

  private static final class SimAddress {
    final String id;
    final String region;
    final long ip;
    final String text;
    final Map<String, String> tags;
    final Instant allocatedAt;
    SimInstance instance;

    SimAddress(String id, String region, long ip, Map<String, String> tags, Instant allocatedAt) {
      this.id = id;
      this.region = region;
      this.ip = ip;
      this.text = IpAddresses.formatIpv4(ip);
      this.tags = tags;
      this.allocatedAt = allocatedAt;
    }

    Address snapshot() {
      return new Address(id, region, text, instance == null ? null : instance.id, tags, allocatedAt);
    }
  }

  /**
   * @param type the provider type it stands in for (aws, gcp)
   * @param ranges where public addresses come from, per region
   * @param random the only source of randomness: seeded, a replay repeats exactly
   * @param bootDelay how long a launched instance stays PENDING
   * @param subnetsPerRegion subnets (one per zone) offered in every region
   */
  public SimulatedCloud(String type, CloudRanges ranges, Clock clock, RandomGenerator random, Duration bootDelay, int subnetsPerRegion) {
    this.type = type;
    this.ranges = Objects.requireNonNull(ranges, "ranges");
    this.clock = clock;
    this.random = random;
    this.bootDelay = bootDelay;
    if (subnetsPerRegion < 1 || subnetsPerRegion > 26) {
      throw new IllegalArgumentException("subnetsPerRegion must be 1..26, was " + subnetsPerRegion);
    }
    this.subnetsPerRegion = subnetsPerRegion;
  }

  @Override
  public String type() {
    return type;
  }

  public CloudRanges ranges() {
    return ranges;
  }

  /** Addresses allocated since the start (blocked draws included). */
  public long allocations() {
    return allocations;
  }

  /** Instances launched since the start. */
  public long launches() {
    return launches;
  }

  /** When the next still-booting instance becomes RUNNING, if any boots after {@code t}. */
  public Optional<Instant> nextBootAfter(Instant t) {
    Instant next = null;
    for (SimInstance i : liveByOwner.values()) {
      Instant ready = i.launchedAt.plus(bootDelay);
      if (ready.isAfter(t) && (next == null || ready.isBefore(next))) {
        next = ready;
      }
    }
    return Optional.ofNullable(next);
  }

  @Override
  public List<Subnet> subnets(String region) {
    region(region);
    return subnets.computeIfAbsent(region, r -> {
      List<Subnet> out = new ArrayList<>(subnetsPerRegion);
      for (int s = 0; s < subnetsPerRegion; s++) {
        char zone = (char) ('a' + s);
        out.add(new Subnet("subnet-" + r + "-" + zone, r, r + zone, "10." + s + ".0.0/16"));
      }
      return List.copyOf(out);
    });
  }

  @Override
  public Optional<Instance> findInstance(String region, String ownerUid) {
    region(region);
    SimInstance i = liveByOwner.get(ownerUid);
    return i == null || !i.region.equals(region) ? Optional.empty() : Optional.of(snapshot(i));
  }

  @Override
  public Instance launch(LaunchSpec spec) {
    region(spec.region());
    if (spec.owner() == null) {
      throw new CloudException(Reason.INVALID, "owner must be set: every instance carries owner tags");
    }
    SimInstance existing = liveByOwner.get(spec.owner().proxyUid());
    if (existing != null) {
      return snapshot(existing);
    }
    Subnet subnet = subnets(spec.region()).stream().filter(s -> s.id().equals(spec.subnetId())).findFirst()
        .orElseThrow(() -> new CloudException(Reason.INVALID, "subnet '" + spec.subnetId() + "' does not exist in " + spec.region()));
    SimInstance i = new SimInstance(String.format("i-%017x", ++instanceCounter), spec.region(), subnet, spec.owner().asTags(), clock.instant());
    instances.put(i.id, i);
    liveByOwner.put(spec.owner().proxyUid(), i);
    launches++;
    return snapshot(i);
  }

  @Override
  public void terminate(String region, String instanceId) {
    SimInstance i = instances.get(instanceId);
    if (i == null || i.terminated || !i.region.equals(region)) {
      return;
    }
    if (i.address != null) {
      // Like an Elastic IP, the address outlives the instance; its owner releases it.
      i.address.instance = null;
      i.address = null;
    }
    i.terminated = true;
    liveByOwner.remove(OwnerTags.proxyUidOf(i.tags));
    // Terminated instances are of no further use to anyone: forget them so memory stays flat over long replays.
    instances.remove(instanceId);
  }

  @Override
  public List<Instance> listManagedInstances(String region, String cluster) {
    List<Instance> out = new ArrayList<>();
    for (SimInstance i : liveByOwner.values()) {
      if (i.region.equals(region) && cluster.equals(i.tags.get(OwnerTags.CLUSTER))) {
        out.add(snapshot(i));
      }
    }
    return out;
  }

  @Override
  public Address allocateAddress(String region, OwnerTags owner, Optional<String> subnetHint) {
    RegionRanges space = region(region);
    if (owner == null) {
      throw new CloudException(Reason.INVALID, "owner must be set: every address carries owner tags");
    }
    for (int attempt = 0; attempt < MAX_COLLISIONS; attempt++) {
      long ip = space.addressAt(random.nextLong(space.totalAddresses()));
      if (allocatedIps.add(ip)) {
        SimAddress a = new SimAddress("eipalloc-" + String.format("%017x", ++addressCounter), region, ip, owner.asTags(), clock.instant());
        addresses.put(a.id, a);
        allocations++;
        return a.snapshot();
      }
    }
    throw new CloudException(Reason.QUOTA_EXCEEDED, "no free public address found in " + region + " after " + MAX_COLLISIONS + " draws");
  }

  @Override
  public List<Address> listManagedAddresses(String region, String cluster) {
    List<Address> out = new ArrayList<>();
    for (SimAddress a : addresses.values()) {
      if (a.region.equals(region) && cluster.equals(a.tags.get(OwnerTags.CLUSTER))) {
        out.add(a.snapshot());
      }
    }
    return out;
  }

  @Override
  public void associateAddress(String region, String instanceId, Address address) {
    SimInstance i = instances.get(instanceId);
    if (i == null || i.terminated || !i.region.equals(region)) {
      throw new CloudException(Reason.NOT_FOUND, "instance " + instanceId + " does not exist in region " + region);
    }
    SimAddress a = addresses.get(address.id());
    if (a == null || !a.region.equals(region)) {
      throw new CloudException(Reason.NOT_FOUND, "address " + address.id() + " does not exist in region " + region);
    }
    if (a.instance == i) {
      return;
    }
    if (a.instance != null) {
      a.instance.address = null;
    }
    if (i.address != null) {
      i.address.instance = null;
    }
    i.address = a;
    a.instance = i;
  }

  @Override
  public void releaseAddress(String region, Address address) {
    SimAddress a = addresses.get(address.id());
    if (a == null || !a.region.equals(region)) {
      return;
    }
    if (a.instance != null) {
      throw new CloudException(Reason.INVALID, "address " + a.id + " (" + IpAddresses.formatIpv4(a.ip) + ") is associated with instance "
          + a.instance.id + "; associate another address or terminate first");
    }
    addresses.remove(a.id);
    allocatedIps.remove(a.ip);
  }

  /** The region's published prefixes: exactly what {@link #allocateAddress} draws from. */
  @Override
  public List<io.proxyfleet.block.IpRange> addressSpace(String region) {
    return ranges.region(region).map(RegionRanges::ranges).orElse(List.of());
  }

  private RegionRanges region(String region) {
    return ranges.region(region).orElseThrow(() -> new CloudException(Reason.INVALID,
        "region '" + region + "' has no " + ranges.service() + " prefixes in the " + type + " range file; use one of " + ranges.regions().keySet()));
  }

  private Instance snapshot(SimInstance i) {
    Instance.State state = clock.instant().isBefore(i.launchedAt.plus(bootDelay)) ? Instance.State.PENDING : Instance.State.RUNNING;
    SimAddress a = i.address;
    return new Instance(i.id, i.region, i.subnet.zone(), i.subnet.id(), state,
        a == null ? null : a.text, a == null ? null : a.id, i.tags, i.launchedAt);
  }
}
