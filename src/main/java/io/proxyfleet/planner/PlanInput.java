package io.proxyfleet.planner;

import io.proxyfleet.cloud.Subnet;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything the planner looks at.
 *
 * @param subnets usable subnets per slot; a slot missing here cannot receive new proxies
 */
public record PlanInput(
    int replicas,
    List<PlacementView> placements,
    RotationSettings rotation,
    List<ProxyView> proxies,
    Map<SlotKey, List<Subnet>> subnets,
    Instant now) {}
