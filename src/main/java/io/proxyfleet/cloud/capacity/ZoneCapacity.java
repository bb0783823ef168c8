package io.proxyfleet.cloud.capacity;

import io.proxyfleet.cloud.Subnet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Zones that recently reported no capacity for a machine type (EC2 InsufficientInstanceCapacity,
 * GCE ZONE_RESOURCE_POOL_EXHAUSTED), each skipped for a hold period, as Karpenter's
 * unavailable-offerings cache does. One instance per provider object; adapters record capacity
 * errors here and ask it for the order in which to try zones, the CloudProfile status lists it, and
 * the planner spreads new proxies only over zones it does not hold (see {@link #usable}).
 *
 * <p>Only capacity errors go in: throttling and quota are account-wide and say nothing about a
 * zone.
 */
public final class ZoneCapacity {

  private record Offering(String region, String zone, String machineType) {}

  private final Clock clock;
  private final Duration hold;
  private final Map<Offering, Instant> unavailable = new ConcurrentHashMap<>();

  public ZoneCapacity(Clock clock, Duration hold) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.hold = Objects.requireNonNull(hold, "hold");
  }

  public Duration hold() {
    return hold;
  }

  /** Records a capacity error; returns until when the zone is skipped. */
  public Instant markUnavailable(String region, String zone, String machineType) {
    Instant until = clock.instant().plus(hold);
    unavailable.put(new Offering(region, zone, machineType), until);
    return until;
  }

  /** Until when a zone is skipped for the machine type, if it is. */
  public Optional<Instant> unavailableUntil(String region, String zone, String machineType) {
    Instant until = unavailable.get(new Offering(region, zone, machineType));
    return until != null && until.isAfter(clock.instant()) ? Optional.of(until) : Optional.empty();
  }

  /** Zones of the region currently skipped for the machine type, sorted. */
  public Set<String> unavailableZones(String region, String machineType) {
    Instant now = clock.instant();
    unavailable.values().removeIf(until -> !until.isAfter(now));
    return unavailable.keySet().stream()
        .filter(o -> o.region().equals(region) && o.machineType().equals(machineType))
        .map(Offering::zone)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /**
   * The places to try a launch in: the requested one first, then the others in their given order,
   * each in a zone other than the requested one; places in unavailable zones are left out.
   */
  public <T> List<T> fallbackOrder(
      String region, String machineType, T requested, List<T> all, Function<T, String> zoneOf) {
    List<T> order = new ArrayList<>();
    if (unavailableUntil(region, zoneOf.apply(requested), machineType).isEmpty()) {
      order.add(requested);
    }
    String requestedZone = zoneOf.apply(requested);
    for (T t : all) {
      String zone = zoneOf.apply(t);
      if (!zone.equals(requestedZone) && unavailableUntil(region, zone, machineType).isEmpty()) {
        order.add(t);
      }
    }
    return order;
  }

  /**
   * The subnets the planner may place new proxies in: those outside unavailable zones, or all of
   * them when every zone is unavailable (the launch then reports the capacity error on the proxy
   * instead of the fleet silently placing nothing).
   */
  public static List<Subnet> usable(List<Subnet> subnets, Set<String> unavailableZones) {
    if (unavailableZones.isEmpty()) {
      return subnets;
    }
    List<Subnet> out = subnets.stream().filter(s -> !unavailableZones.contains(s.zone())).toList();
    return out.isEmpty() ? subnets : out;
  }
}
