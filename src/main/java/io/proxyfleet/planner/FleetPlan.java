package io.proxyfleet.planner;

import java.util.List;
import java.util.Map;

/** What a fleet reconcile should do now. Executing it and re-planning converges on the policy. */
public record FleetPlan(
    List<Create> creates,
    List<Delete> deletes,
    List<RotateIp> ipRotations,
    List<SlotSummary> slots,
    List<SlotKey> slotsWithoutSubnets,
    Map<Reason, Integer> rotationsStarted,
    Map<Reason, Integer> rotationsHeld) {

  /** Rotations started by this plan, over all reasons: what the rotation budget is charged. */
  public int rotationsStartedTotal() {
    return rotationsStarted.values().stream().mapToInt(Integer::intValue).sum();
  }

  public int rotationsHeldTotal() {
    return rotationsHeld.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** Why the planner acts. */
  public enum Reason {
    /** Fewer proxies than the placement wants. */
    ScaleUp,
    /** More proxies than the placement wants (replicas lowered, placement changed). */
    ScaleDown,
    /** The proxy's IP is in a blocklist. */
    Blocked,
    /** The proxy outlived rotation.maxAge. */
    MaxAge,
    /** The proxy failed (launch timeout, lost instance, no clean IP). */
    Failed,
    /**
     * Its region became unavailable (burned, or too much of it blocked): the share moves elsewhere.
     */
    Rebalance
  }

  /** Launch a new proxy into a slot and subnet. */
  public record Create(SlotKey slot, String subnet, Reason reason) {}

  /** Delete a proxy (its finalizer tears down the VM and address). */
  public record Delete(String name, Reason reason) {}

  /** Ask a proxy for a new public IP on the same VM. */
  public record RotateIp(String name, Reason reason) {}

  /** Per-slot counts for status. */
  /**
   * Per-slot counts for status; {@code unavailable} says why the slot gets no proxies now, or is
   * null.
   */
  public record SlotSummary(
      SlotKey slot, int desired, int replicas, int ready, int blocked, String unavailable) {}
}
