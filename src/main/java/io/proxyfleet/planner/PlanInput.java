package io.proxyfleet.planner;

import io.proxyfleet.cloud.Subnet;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything the planner looks at.
 *
 * @param subnets usable subnets per slot; a slot missing here cannot receive new proxies
 * @param unavailable slots that should receive no proxies now (burned, or too much of the region
 *     blocked), with the reason; their share moves to the other slots
 * @param rotationBudget rotations that may start now ({@link #UNLIMITED} without a budget)
 */
public record PlanInput(
    int replicas,
    List<PlacementView> placements,
    RotationSettings rotation,
    List<ProxyView> proxies,
    Map<SlotKey, List<Subnet>> subnets,
    Instant now,
    Map<SlotKey, String> unavailable,
    int rotationBudget) {

  public static final int UNLIMITED = Integer.MAX_VALUE;

  public PlanInput {
    unavailable = Map.copyOf(unavailable);
  }

  /** Input with every slot available and no rotation budget. */
  public PlanInput(
      int replicas,
      List<PlacementView> placements,
      RotationSettings rotation,
      List<ProxyView> proxies,
      Map<SlotKey, List<Subnet>> subnets,
      Instant now) {
    this(replicas, placements, rotation, proxies, subnets, now, Map.of(), UNLIMITED);
  }
}
