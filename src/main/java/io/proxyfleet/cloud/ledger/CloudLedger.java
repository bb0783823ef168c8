package io.proxyfleet.cloud.ledger;

import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.Subnet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
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
 * The Elastic-IP rules of {@link io.proxyfleet.cloud.CloudProvider}, kept in memory once for every
 * in-memory cloud:
 *
 * <ul>
 *   <li>an instance is launched into a subnet for one owner; launching again for a live owner in
 *       the same region returns that instance (idempotent per owner UID, as the providers' tag
 *       lookup is);
 *   <li>it is PENDING for its boot delay on the ledger's clock, then RUNNING; a terminated instance
 *       is gone for every lookup, and its id is never issued again;
 *   <li>addresses are allocated from a caller's {@link AddressPool}, never twice at once, and
 *       tagged with their owner; they outlive the instance they were associated with;
 *   <li>an instance holds at most one address: associating a new one detaches the old one, and
 *       associating an address held by another instance moves it (AWS AllowReassociation);
 *   <li>releasing an associated address is refused (INVALID); releasing one that is gone is not an
 *       error.
 * </ul>
 *
 * <p>Thread-safe (one lock per ledger; it never calls out while holding it except into the pool and
 * the id scheme). Regions are plain names here: whether a region or subnet exists is the provider's
 * rule, checked before it calls the ledger.
 */
public final class CloudLedger {

  private final Clock clock;
  private final RandomGenerator random;
  private final LedgerIds ids;

  private final Map<String, LiveInstance> instances = new LinkedHashMap<>();
  private final Map<String, LiveInstance> byOwner = new HashMap<>();
  private final Map<String, LiveAddress> addresses = new LinkedHashMap<>();
  private final Set<Long> allocatedIps = new HashSet<>();
  private long launches;
  private long allocations;

  /**
   * @param clock decides when instances finish booting and stamps launch and allocation times
   * @param random the only randomness of the ledger, handed to every {@link AddressPool}; seeded, a
   *     sequence of calls yields the same addresses every time
   * @param ids how instances and addresses are named
   */
  public CloudLedger(Clock clock, RandomGenerator random, LedgerIds ids) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
    this.ids = Objects.requireNonNull(ids, "ids");
  }

  /** What an association changes, for providers that act on it (the local cloud moves sockets). */
  public record Association(
      String instanceId,
      String addressId,
      String ip,
      String previousHolderId,
      String replacedAddressId) {}

  public Clock clock() {
    return clock;
  }

  /** Instances launched since creation (idempotent repeats not counted). */
  public synchronized long launches() {
    return launches;
  }

  /** Addresses allocated since creation, released ones included. */
  public synchronized long allocations() {
    return allocations;
  }

  /**
   * The live instance of {@code owner} in the subnet's region, or a new one in {@code subnet}.
   *
   * @param bootDelay how long the new instance reports PENDING
   */
  public Instance launch(OwnerTags owner, Subnet subnet, Duration bootDelay) {
    Objects.requireNonNull(owner, "owner");
    return launch(owner.asTags(), subnet, bootDelay);
  }

  /**
   * Launches with arbitrary tags, as anyone with access to the account can: without the {@link
   * OwnerTags#PROXY} tag the instance belongs to no proxy, is never found by owner and every call
   * launches another one. Tests use it for resources this operator must leave alone.
   */
  public synchronized Instance launch(Map<String, String> tags, Subnet subnet, Duration bootDelay) {
    Objects.requireNonNull(subnet, "subnet");
    if (bootDelay.isNegative()) {
      throw new IllegalArgumentException("bootDelay must not be negative, was " + bootDelay);
    }
    String uid = OwnerTags.proxyUidOf(tags);
    LiveInstance existing = uid == null ? null : byOwner.get(ownerKey(subnet.region(), uid));
    if (existing != null) {
      return existing.snapshot(clock.instant());
    }
    Instant now = clock.instant();
    LiveInstance created =
        new LiveInstance(
            ids.instanceId(uid == null ? "" : uid), subnet, immutable(tags), now, bootDelay);
    instances.put(created.id, created);
    if (uid != null) {
      byOwner.put(ownerKey(subnet.region(), uid), created);
    }
    launches++;
    return created.snapshot(now);
  }

  /** The live instance owned by {@code ownerUid} in the region. */
  public synchronized Optional<Instance> findInstance(String region, String ownerUid) {
    LiveInstance found = byOwner.get(ownerKey(region, ownerUid));
    return found == null ? Optional.empty() : Optional.of(found.snapshot(clock.instant()));
  }

  /** A live instance by id, in any region. */
  public synchronized Optional<Instance> instance(String instanceId) {
    LiveInstance found = instances.get(instanceId);
    return found == null ? Optional.empty() : Optional.of(found.snapshot(clock.instant()));
  }

  /** Live instances of the region tagged with {@code cluster}, in launch order. */
  public synchronized List<Instance> listInstances(String region, String cluster) {
    Instant now = clock.instant();
    List<Instance> out = new ArrayList<>();
    for (LiveInstance i : instances.values()) {
      if (i.subnet.region().equals(region)
          && Objects.equals(i.tags.get(OwnerTags.CLUSTER), cluster)) {
        out.add(i.snapshot(now));
      }
    }
    return List.copyOf(out);
  }

  /**
   * Terminates a live instance of the region; its address stays allocated, unassociated.
   *
   * @return whether an instance was terminated (false: unknown, already gone, or another region's)
   */
  public synchronized boolean terminate(String region, String instanceId) {
    LiveInstance i = instances.get(instanceId);
    if (i == null || !i.subnet.region().equals(region)) {
      return false;
    }
    if (i.address != null) {
      i.address.holder = null;
      i.address = null;
    }
    instances.remove(instanceId);
    String uid = OwnerTags.proxyUidOf(i.tags);
    if (uid != null) {
      byOwner.remove(ownerKey(region, uid));
    }
    return true;
  }

  /** When the next booting instance becomes RUNNING, if one does after {@code t}. */
  public synchronized Optional<Instant> nextBootAfter(Instant t) {
    Instant next = null;
    for (LiveInstance i : instances.values()) {
      Instant ready = i.launchedAt.plus(i.bootDelay);
      if (ready.isAfter(t) && (next == null || ready.isBefore(next))) {
        next = ready;
      }
    }
    return Optional.ofNullable(next);
  }

  /** Allocates an address drawn from {@code pool}, tagged with its owner. */
  public Address allocate(String region, OwnerTags owner, AddressPool pool) {
    Objects.requireNonNull(owner, "owner");
    return allocate(region, owner.asTags(), pool);
  }

  /** Allocates an address with arbitrary tags (see {@link #launch(Map, Subnet, Duration)}). */
  public synchronized Address allocate(String region, Map<String, String> tags, AddressPool pool) {
    Objects.requireNonNull(region, "region");
    long ip = pool.draw(random, allocatedIps::contains);
    if (ip < 0 || ip > 0xffffffffL || allocatedIps.contains(ip)) {
      throw new IllegalStateException("pool drew " + ip + ", which is not a free IPv4 address");
    }
    String text = IpAddresses.formatIpv4(ip);
    LiveAddress a =
        new LiveAddress(ids.addressId(text), region, ip, text, immutable(tags), clock.instant());
    addresses.put(a.id, a);
    allocatedIps.add(ip);
    allocations++;
    return a.snapshot();
  }

  /** Allocated addresses of the region tagged with {@code cluster}, in allocation order. */
  public synchronized List<Address> listAddresses(String region, String cluster) {
    List<Address> out = new ArrayList<>();
    for (LiveAddress a : addresses.values()) {
      if (a.region.equals(region) && Objects.equals(a.tags.get(OwnerTags.CLUSTER), cluster)) {
        out.add(a.snapshot());
      }
    }
    return List.copyOf(out);
  }

  /**
   * Regions holding a live instance or an allocated address tagged with {@code cluster}, sorted.
   */
  public synchronized Set<String> regionsOf(String cluster) {
    Set<String> out = new java.util.TreeSet<>();
    instances.values().stream()
        .filter(i -> Objects.equals(i.tags.get(OwnerTags.CLUSTER), cluster))
        .forEach(i -> out.add(i.subnet.region()));
    addresses.values().stream()
        .filter(a -> Objects.equals(a.tags.get(OwnerTags.CLUSTER), cluster))
        .forEach(a -> out.add(a.region));
    return out;
  }

  /** An allocated address by id, in any region. */
  public synchronized Optional<Address> address(String addressId) {
    LiveAddress a = addresses.get(addressId);
    return a == null ? Optional.empty() : Optional.of(a.snapshot());
  }

  /**
   * What {@link #associate} would change, without changing anything: empty when the address is
   * already the instance's. Lets a provider prepare side effects (bind a socket) and give up before
   * the ledger moves anything.
   *
   * @throws CloudException NOT_FOUND when the instance or the address is not in the region
   */
  public synchronized Optional<Association> planAssociation(
      String region, String instanceId, String addressId) {
    LiveInstance i = instances.get(instanceId);
    if (i == null || !i.subnet.region().equals(region)) {
      throw new CloudException(
          Reason.NOT_FOUND, "instance " + instanceId + " does not exist in region " + region);
    }
    LiveAddress a = addresses.get(addressId);
    if (a == null || !a.region.equals(region)) {
      throw new CloudException(
          Reason.NOT_FOUND, "address " + addressId + " does not exist in region " + region);
    }
    if (a.holder == i) {
      return Optional.empty();
    }
    return Optional.of(
        new Association(
            i.id,
            a.id,
            a.text,
            a.holder == null ? null : a.holder.id,
            i.address == null ? null : i.address.id));
  }

  /**
   * Associates an address with an instance: the instance's previous address becomes unassociated,
   * and an address held by another instance moves.
   *
   * @return what changed; empty when the address was already the instance's
   * @throws CloudException NOT_FOUND when the instance or the address is not in the region
   */
  public synchronized Optional<Association> associate(
      String region, String instanceId, String addressId) {
    Optional<Association> plan = planAssociation(region, instanceId, addressId);
    if (plan.isEmpty()) {
      return plan;
    }
    LiveInstance i = instances.get(instanceId);
    LiveAddress a = addresses.get(addressId);
    if (a.holder != null) {
      a.holder.address = null;
    }
    if (i.address != null) {
      i.address.holder = null;
    }
    i.address = a;
    a.holder = i;
    return plan;
  }

  /**
   * Releases an unassociated address of the region; an unknown one (already released, another
   * region's) is not an error.
   *
   * @return whether an address was released
   * @throws CloudException INVALID while the address is associated
   */
  public synchronized boolean release(String region, String addressId) {
    LiveAddress a = addresses.get(addressId);
    if (a == null || !a.region.equals(region)) {
      return false;
    }
    if (a.holder != null) {
      throw new CloudException(
          Reason.INVALID,
          "address "
              + a.id
              + " ("
              + a.text
              + ") is associated with instance "
              + a.holder.id
              + "; associate another address or terminate first");
    }
    addresses.remove(a.id);
    allocatedIps.remove(a.ip);
    return true;
  }

  private static String ownerKey(String region, String ownerUid) {
    return region + '\n' + ownerUid;
  }

  // Not Map.copyOf: OwnerTags.asTags() writes a null Name when the proxy has no name.
  private static Map<String, String> immutable(Map<String, String> tags) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(tags == null ? Map.of() : tags));
  }

  /** A live instance; mutable, guarded by the ledger's lock. */
  private static final class LiveInstance {
    final String id;
    final Subnet subnet;
    final Map<String, String> tags;
    final Instant launchedAt;
    final Duration bootDelay;
    LiveAddress address;

    LiveInstance(
        String id,
        Subnet subnet,
        Map<String, String> tags,
        Instant launchedAt,
        Duration bootDelay) {
      this.id = id;
      this.subnet = subnet;
      this.tags = tags;
      this.launchedAt = launchedAt;
      this.bootDelay = bootDelay;
    }

    Instance snapshot(Instant now) {
      Instance.State state =
          now.isBefore(launchedAt.plus(bootDelay))
              ? Instance.State.PENDING
              : Instance.State.RUNNING;
      return new Instance(
          id,
          subnet.region(),
          subnet.zone(),
          subnet.id(),
          state,
          address == null ? null : address.text,
          address == null ? null : address.id,
          tags,
          launchedAt);
    }
  }

  /** An allocated address; mutable, guarded by the ledger's lock. */
  private static final class LiveAddress {
    final String id;
    final String region;
    final long ip;
    final String text;
    final Map<String, String> tags;
    final Instant allocatedAt;
    LiveInstance holder;

    LiveAddress(
        String id,
        String region,
        long ip,
        String text,
        Map<String, String> tags,
        Instant allocatedAt) {
      this.id = id;
      this.region = region;
      this.ip = ip;
      this.text = text;
      this.tags = tags;
      this.allocatedAt = allocatedAt;
    }

    Address snapshot() {
      return new Address(id, region, text, holder == null ? null : holder.id, tags, allocatedAt);
    }
  }
}
