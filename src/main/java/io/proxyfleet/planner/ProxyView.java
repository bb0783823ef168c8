package io.proxyfleet.planner;

import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.block.BlockMatch;
import java.time.Instant;

/**
 * What the planner needs to know about one existing proxy.
 *
 * @param blockedBy the block on its current IP, or null
 * @param terminating deletion requested (it no longer counts toward the fleet)
 * @param ipRotationPending a new IP was requested and not yet served
 * @param jitterKey stable per proxy (its UID), spreads age deadlines
 */
public record ProxyView(
    String name,
    String jitterKey,
    SlotKey slot,
    String subnet,
    ProxyPhase phase,
    String publicIp,
    BlockMatch blockedBy,
    boolean terminating,
    boolean ipRotationPending,
    Instant createdAt) {

  public boolean blocked() {
    return blockedBy != null;
  }

  /** Serving on an unblocked IP: what clients can use and what the endpoints Secret lists. */
  public boolean ready() {
    return phase == ProxyPhase.Running && !blocked() && !terminating;
  }
}
