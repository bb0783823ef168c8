package io.proxyfleet.replay;

import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.cloud.ledger.CloudLedger;
import io.proxyfleet.cloud.ledger.LedgerIds;
import io.proxyfleet.ranges.CloudRanges;
import io.proxyfleet.ranges.RegionRanges;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * A cloud that exists only in memory, with the Elastic-IP semantics of {@link CloudProvider} kept
 * by a {@link CloudLedger}: public addresses are drawn at random from a region's published prefixes
 * (uniform over addresses, so a prefix is picked in proportion to its size), instances boot for a
 * fixed delay on the given clock. The replay drives it from one loop, so its subnet cache is not
 * guarded.
 */
public final class SimulatedCloud implements CloudProvider {

  /** Draws retried when an address is already allocated before the region counts as exhausted. */
  private static final int MAX_COLLISIONS = 64;

  private final String type;
  private final CloudRanges ranges;
  private final Duration bootDelay;
  private final int subnetsPerRegion;
  // The Elastic-IP bookkeeping; this class adds the regions, subnets and address draw of a
  // published range file.
  private final CloudLedger ledger;

  private final Map<String, List<Subnet>> subnets = new HashMap<>();

  /**
   * @param type the provider type it stands in for (aws, gcp)
   * @param ranges where public addresses come from, per region
   * @param random the only source of randomness: seeded, a replay repeats exactly
   * @param bootDelay how long a launched instance stays PENDING
   * @param subnetsPerRegion subnets (one per zone) offered in every region
   */
  public SimulatedCloud(
      String type,
      CloudRanges ranges,
      Clock clock,
      RandomGenerator random,
      Duration bootDelay,
      int subnetsPerRegion) {
    this.type = type;
    this.ranges = Objects.requireNonNull(ranges, "ranges");
    this.bootDelay = bootDelay;
    if (subnetsPerRegion < 1 || subnetsPerRegion > 26) {
      throw new IllegalArgumentException("subnetsPerRegion must be 1..26, was " + subnetsPerRegion);
    }
    this.subnetsPerRegion = subnetsPerRegion;
    // Sequential ids: memory stays flat over long replays, where nobody predicts an id.
    this.ledger = new CloudLedger(clock, random, LedgerIds.sequential());
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
    return ledger.allocations();
  }

  /** Instances launched since the start. */
  public long launches() {
    return ledger.launches();
  }

  /** When the next still-booting instance becomes RUNNING, if any boots after {@code t}. */
  public Optional<Instant> nextBootAfter(Instant t) {
    return ledger.nextBootAfter(t);
  }

  @Override
  public List<Subnet> subnets(String region) {
    region(region);
    return subnets.computeIfAbsent(
        region,
        r -> {
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
    return ledger.findInstance(region, ownerUid);
  }

  @Override
  public Instance launch(LaunchSpec spec) {
    region(spec.region());
    if (spec.owner() == null) {
      throw new CloudException(
          Reason.INVALID, "owner must be set: every instance carries owner tags");
    }
    Optional<Instance> existing = ledger.findInstance(spec.region(), spec.owner().proxyUid());
    if (existing.isPresent()) {
      return existing.get();
    }
    Subnet subnet =
        subnets(spec.region()).stream()
            .filter(s -> s.id().equals(spec.subnetId()))
            .findFirst()
            .orElseThrow(
                () ->
                    new CloudException(
                        Reason.INVALID,
                        "subnet '" + spec.subnetId() + "' does not exist in " + spec.region()));
    return ledger.launch(spec.owner(), subnet, bootDelay);
  }

  @Override
  public void terminate(String region, String instanceId) {
    ledger.terminate(region, instanceId);
  }

  @Override
  public List<Instance> listManagedInstances(String region, String cluster) {
    return ledger.listInstances(region, cluster);
  }

  @Override
  public Address allocateAddress(String region, OwnerTags owner, Optional<String> subnetHint) {
    RegionRanges space = region(region);
    if (owner == null) {
      throw new CloudException(
          Reason.INVALID, "owner must be set: every address carries owner tags");
    }
    return ledger.allocate(
        region,
        owner,
        (random, allocated) -> {
          for (int attempt = 0; attempt < MAX_COLLISIONS; attempt++) {
            long ip = space.addressAt(random.nextLong(space.totalAddresses()));
            if (!allocated.test(ip)) {
              return ip;
            }
          }
          throw new CloudException(
              Reason.QUOTA_EXCEEDED,
              "no free public address found in " + region + " after " + MAX_COLLISIONS + " draws");
        });
  }

  @Override
  public List<Address> listManagedAddresses(String region, String cluster) {
    return ledger.listAddresses(region, cluster);
  }

  @Override
  public void associateAddress(String region, String instanceId, Address address) {
    ledger.associate(region, instanceId, address.id());
  }

  @Override
  public void releaseAddress(String region, Address address) {
    ledger.release(region, address.id());
  }

  /** The region's published prefixes: exactly what {@link #allocateAddress} draws from. */
  @Override
  public List<io.proxyfleet.block.IpRange> addressSpace(String region) {
    return ranges.region(region).map(RegionRanges::ranges).orElse(List.of());
  }

  private RegionRanges region(String region) {
    return ranges
        .region(region)
        .orElseThrow(
            () ->
                new CloudException(
                    Reason.INVALID,
                    "region '"
                        + region
                        + "' has no "
                        + ranges.service()
                        + " prefixes in the "
                        + type
                        + " range file; use one of "
                        + ranges.regions().keySet()));
  }
}
