package io.proxyfleet.proxy;

import io.proxyfleet.block.BlockChecker;
import io.proxyfleet.block.BlockMatch;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.OwnerTags;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives an instance a clean public address: the one rotation routine shared by the Proxy reconciler
 * and the blockade replay, so what the replay measures is what production does.
 *
 * <p>Crash safe by construction: the proxy's addresses are found by its owner tag, an unassociated
 * clean one left by a crash between allocate and associate is adopted, and every other address it
 * owns is released only after the new one is associated (so the proxy never serves with no IP).
 */
public final class AddressAssignment {

  private static final Logger log = LoggerFactory.getLogger(AddressAssignment.class);

  /**
   * @param address the associated clean address, or null when every draw was blocked
   * @param draws addresses allocated in this call (0 when a stray one was adopted)
   * @param blockedDraws draws that were blocked and released again
   */
  public record Result(Address address, int draws, int blockedDraws) {
    public boolean clean() {
      return address != null;
    }
  }

  private final String cluster;
  private final int maxDraws;

  public AddressAssignment(String cluster, int maxDraws) {
    this.cluster = cluster;
    this.maxDraws = maxDraws;
  }

  public int maxDraws() {
    return maxDraws;
  }

  /**
   * Associates a clean address with the instance and releases the proxy's other addresses (the
   * previous IP included). {@code subnetHint} is used for the first draw only.
   */
  public Result assignClean(
      CloudProvider provider,
      String region,
      OwnerTags owner,
      Instance instance,
      Optional<String> subnetHint,
      BlockChecker checker) {
    return assignClean(provider, region, owner, instance, subnetHint, checker, maxDraws);
  }

  /** As above with the fleet's own draw limit ({@code rotation.maxAddressDraws}). */
  public Result assignClean(
      CloudProvider provider,
      String region,
      OwnerTags owner,
      Instance instance,
      Optional<String> subnetHint,
      BlockChecker checker,
      int maxDraws) {
    // One listing serves both adopting a stray address and releasing the rest afterwards.
    List<Address> owned = owned(provider, region, owner.proxyUid());
    Address fresh = null;
    for (Address a : owned) {
      if (a.instanceId() == null
          && !checker.isBlocked(a.ip())
          && !a.ip().equals(instance.publicIp())) {
        fresh = a;
        break;
      }
    }
    int draws = 0;
    int blocked = 0;
    while (fresh == null && draws < maxDraws) {
      Address a =
          provider.allocateAddress(region, owner, draws == 0 ? subnetHint : Optional.empty());
      draws++;
      Optional<BlockMatch> match = checker.check(a.ip());
      if (match.isEmpty()) {
        fresh = a;
      } else {
        blocked++;
        log.debug(
            "Drew blocked address {} for {} ({}); releasing it",
            a.ip(),
            owner.proxyName(),
            match.get());
        provider.releaseAddress(region, a);
      }
    }
    if (fresh == null) {
      return new Result(null, draws, blocked);
    }
    Address drawn = fresh;
    try {
      provider.associateAddress(region, instance.id(), drawn);
    } catch (CloudException e) {
      // An address drawn by this pass and not attached would stay reserved (and billed) until the
      // proxy is deleted, since a later pass that finds the instance serving draws nothing: give it
      // back now. If the attach did happen after all, the cloud refuses to release an address in
      // use, and the next pass adopts it.
      if (draws > 0 && owned.stream().noneMatch(a -> a.id().equals(drawn.id()))) {
        try {
          provider.releaseAddress(region, drawn);
        } catch (CloudException releaseFailed) {
          log.debug(
              "Address {} of {} kept after a failed attach: {}",
              drawn.ip(),
              owner.proxyName(),
              releaseFailed.getMessage());
        }
      }
      throw e;
    }
    release(provider, region, owned, fresh.id());
    return new Result(fresh, draws, blocked);
  }

  /**
   * Completes a rotation that a crashed pass carried out but never recorded: the instance already
   * serves on a newer address of this proxy than the one recorded, so that address is kept and the
   * proxy's others (the previous IP among them) are released. Drawing again instead would adopt the
   * previous IP as a "stray" address, put it back and release the new one.
   *
   * @return the kept address, or empty when the instance's address is not one of the proxy's
   */
  public Optional<Address> keepCurrent(
      CloudProvider provider, String region, OwnerTags owner, Instance instance) {
    List<Address> owned = owned(provider, region, owner.proxyUid());
    Optional<Address> current =
        owned.stream().filter(a -> a.id().equals(instance.addressId())).findFirst();
    current.ifPresent(c -> release(provider, region, owned, c.id()));
    return current;
  }

  /** Releases every address the proxy owns (after its instance is gone). */
  public void releaseAll(CloudProvider provider, String region, String proxyUid) {
    release(provider, region, owned(provider, region, proxyUid), null);
  }

  private List<Address> owned(CloudProvider provider, String region, String proxyUid) {
    return provider.listManagedAddresses(region, cluster).stream()
        .filter(a -> proxyUid.equals(a.ownerUid()))
        .toList();
  }

  /**
   * Releases the listed addresses except {@code keepId}: those unassociated when listed, and the
   * one associated with the instance then (the previous IP, which associating replaced).
   */
  private static void release(
      CloudProvider provider, String region, List<Address> owned, String keepId) {
    for (Address a : owned) {
      if (!a.id().equals(keepId)) {
        provider.releaseAddress(region, a);
      }
    }
  }
}
