package io.proxyfleet.cloud;

import java.util.List;
import java.util.Optional;

/**
 * One cloud account (or the loopback "cloud" of local mode) as the reconcilers see it.
 *
 * <p>Every resource a provider creates carries the {@link OwnerTags} it was created with, and every
 * lookup goes through those tags: that is what makes a launch idempotent after a crash and what
 * lets the garbage collector find what nobody owns. Methods throw {@link CloudException} with a
 * {@link CloudException.Reason} the reconcilers act on; adapters map their SDK errors onto those
 * reasons.
 *
 * <p>Addresses follow the Elastic IP model: allocated independently, associated to one instance at
 * a time (associating moves the address and replaces the instance's previous one), left allocated
 * when the instance terminates, and released only when unassociated.
 */
public interface CloudProvider extends AutoCloseable {

  /** Provider type as written in {@code CloudProfile.spec.provider}. */
  String type();

  /** Whether this provider can run a proxy daemon for the protocol. */
  default boolean supports(io.proxyfleet.api.Protocol protocol) {
    return true;
  }

  /**
   * The public address space this provider draws addresses from in a region, when the provider
   * itself knows it; empty means "ask the published cloud ranges" (AWS ip-ranges.json, Google
   * cloud.json). Used to compute how much of a region a blocklist covers.
   */
  default List<io.proxyfleet.block.IpRange> addressSpace(String region) {
    return List.of();
  }

  /**
   * Checks cheaply that the profile's credentials work and its settings are usable, for the
   * CloudProfile status. Throws {@link CloudException} with {@link
   * CloudException.Reason#UNAUTHORIZED} for rejected credentials or missing permissions, {@link
   * CloudException.Reason#INVALID} for a bad setting (naming the field), {@link
   * CloudException.Reason#THROTTLED} or {@link CloudException.Reason#TRANSIENT} when the check
   * itself could not run. Providers without credentials (local) accept by default.
   */
  default void verifyAccess() {}

  /**
   * Zones of a region that launches currently skip because the cloud reported no capacity there for
   * the profile's instance type (each for a limited time), for the CloudProfile status. Empty by
   * default.
   */
  default java.util.Set<String> unavailableZones(String region) {
    return java.util.Set.of();
  }

  /** Subnets usable for proxies in a region, in a stable order. */
  List<Subnet> subnets(String region);

  /** The live (not terminated) instance owned by a proxy, if any. */
  Optional<Instance> findInstance(String region, String ownerUid);

  /**
   * Launches an instance for a proxy, or returns the one it already owns. Idempotent per {@code
   * spec.owner().proxyUid()}.
   */
  Instance launch(LaunchSpec spec);

  /** Terminates an instance; terminating one that is already gone is not an error. */
  void terminate(String region, String instanceId);

  /** Every live instance in the region carrying this operator's cluster tag. */
  List<Instance> listManagedInstances(String region, String cluster);

  /**
   * Allocates a public address tagged with its owner. {@code subnetHint} lets providers whose
   * addresses belong to subnets draw near the instance; others ignore it.
   */
  Address allocateAddress(String region, OwnerTags owner, Optional<String> subnetHint);

  /**
   * Regions outside {@code known} where this cluster's resources exist, for the garbage collector:
   * a region dropped from a profile may still hold instances and addresses. Providers that can list
   * a whole account cheaply (GCE's aggregated lists) answer; others return nothing beyond what they
   * were given. Listing, terminating and releasing must work in any region this returns.
   */
  default java.util.Set<String> managedRegions(String cluster, java.util.Set<String> known) {
    return java.util.Set.of();
  }

  /**
   * Removes what this cluster's proxies share across a project and no longer use (GCE's firewall
   * rule per network and port), each only once it is older than {@code minAge} and never one of
   * another cluster or one this operator did not create; returns what was removed. A launch that
   * finds such a resource gone creates it again, so removal is safe against launches in flight.
   * Nothing by default: EC2 security groups and the loopback cloud are not created per cluster.
   */
  default List<String> removeUnusedShared(String cluster, java.time.Duration minAge) {
    return List.of();
  }

  /** Every allocated address in the region carrying this operator's cluster tag. */
  List<Address> listManagedAddresses(String region, String cluster);

  /** Associates an address with an instance, replacing the instance's current address. */
  void associateAddress(String region, String instanceId, Address address);

  /** Releases an unassociated address; releasing one that is already gone is not an error. */
  void releaseAddress(String region, Address address);

  /** Releases clients and listeners held by this provider object (never cloud resources). */
  @Override
  default void close() {}
}
