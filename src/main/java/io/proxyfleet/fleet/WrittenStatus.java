package io.proxyfleet.fleet;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.proxyfleet.api.BurnedRegion;
import io.proxyfleet.api.ProxyFleetStatus;
import io.proxyfleet.api.RotationBudgetStatus;
import io.proxyfleet.status.StatusChange;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last status this process wrote per fleet, so state kept in status survives a stale read.
 *
 * <p>JOSDK may hand the next reconcile a fleet from the informer before our own status patch has
 * arrived there. For most of status that only costs one redundant write, but the rotation budget,
 * the rotation counters and the burned regions would go backwards: a budget spent twice, a region
 * forgotten. {@link #catchUp} merges monotonically (least budget, highest counters, union of burned
 * regions), so a stale read and a fresh one give the same result. After a restart the map is empty
 * and status in the API is the only source, which is then current.
 */
final class WrittenStatus {

  private final Map<ResourceID, ProxyFleetStatus> last = new ConcurrentHashMap<>();

  /** The resourceVersion the server gave each fleet's last status write. */
  private final Map<ResourceID, String> writtenAt = new ConcurrentHashMap<>();

  void remember(ResourceID fleet, ProxyFleetStatus status) {
    last.put(fleet, StatusChange.copy(status, ProxyFleetStatus.class));
  }

  /** As {@link #remember(ResourceID, ProxyFleetStatus)}, with the version the write produced. */
  void remember(ResourceID fleet, ProxyFleetStatus status, String resourceVersion) {
    remember(fleet, status);
    if (resourceVersion == null) {
      writtenAt.remove(fleet);
    } else {
      writtenAt.put(fleet, resourceVersion);
    }
  }

  /**
   * The status this process last wrote, unless the copy at {@code cachedVersion} is at least as new
   * (someone wrote after us, or the informer caught up): then the copy is what the server has.
   * Versions are compared as numbers, as kube-apiserver's and the embedded API's are; one that is
   * not a number makes the copy win.
   */
  Optional<ProxyFleetStatus> lastWrittenIfNewer(ResourceID fleet, String cachedVersion) {
    ProxyFleetStatus mine = last.get(fleet);
    String at = writtenAt.get(fleet);
    if (mine == null || at == null) {
      return Optional.empty();
    }
    try {
      return cachedVersion != null && Long.parseLong(cachedVersion) >= Long.parseLong(at)
          ? Optional.empty()
          : Optional.of(mine);
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  void forget(ResourceID fleet) {
    last.remove(fleet);
    writtenAt.remove(fleet);
  }

  /** Brings {@code status} (read from the informer) up to what this process last wrote. */
  void catchUp(ResourceID fleet, ProxyFleetStatus status) {
    ProxyFleetStatus mine = last.get(fleet);
    if (mine == null) {
      return;
    }
    if (mine.getRotations() != null
        && (status.getRotations() == null || mine.getRotations() > status.getRotations())) {
      status.setRotations(mine.getRotations());
    }
    mine.getRotationsByReason()
        .forEach((reason, count) -> status.getRotationsByReason().merge(reason, count, Math::max));
    status.setRotationBudget(lowerBudget(status.getRotationBudget(), mine.getRotationBudget()));
    Map<String, BurnedRegion> burned = new LinkedHashMap<>();
    for (BurnedRegion b : status.getBurnedRegions()) {
      burned.put(b.getCloudProfile() + "/" + b.getRegion(), b);
    }
    for (BurnedRegion b : mine.getBurnedRegions()) {
      burned.merge(
          b.getCloudProfile() + "/" + b.getRegion(),
          b,
          (x, y) -> later(x.getUntil(), y.getUntil()) ? x : y);
    }
    status.setBurnedRegions(new java.util.ArrayList<>(burned.values()));
  }

  /** The budget with less left once both are projected to the later of their times. */
  static RotationBudgetStatus lowerBudget(RotationBudgetStatus a, RotationBudgetStatus b) {
    if (a == null || a.getUpdatedAt() == null) {
      return b;
    }
    if (b == null || b.getUpdatedAt() == null) {
      return a;
    }
    // The later record already reflects the earlier one's spending unless the earlier one is ours
    // and unseen: prefer the later write, and on a tie the one with less left.
    Instant at = Instant.parse(a.getUpdatedAt());
    Instant bt = Instant.parse(b.getUpdatedAt());
    if (!at.equals(bt)) {
      return at.isAfter(bt) ? a : b;
    }
    return a.getAvailable() <= b.getAvailable() ? a : b;
  }

  private static boolean later(String x, String y) {
    try {
      return Instant.parse(x).isAfter(Instant.parse(y));
    } catch (RuntimeException e) {
      return false;
    }
  }
}
