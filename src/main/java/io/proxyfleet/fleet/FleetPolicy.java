package io.proxyfleet.fleet;

import io.proxyfleet.api.Durations;
import io.proxyfleet.api.OnBlocked;
import io.proxyfleet.api.ProxyFleetSpec;
import io.proxyfleet.api.RotationPolicy;
import io.proxyfleet.planner.PlacementView;
import io.proxyfleet.planner.RotationSettings;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How a validated fleet spec becomes the planner's placements and rotation settings. Public so the
 * blockade replay reads a fleet exactly as the reconciler does.
 */
public final class FleetPolicy {

  /** How long a slot receives no new proxies after one failed to find any unblocked address there. */
  public static final Duration BURNED_SLOT_HOLD = Duration.ofMinutes(1);

  private FleetPolicy() {}

  /** The placements of a spec that passed {@link FleetValidator}. */
  public static List<PlacementView> placements(ProxyFleetSpec spec) {
    return spec.getPlacement().stream().map(p -> new PlacementView(p.getCloudProfile(), p.getRegions(), Optional.ofNullable(p.getWeight()).orElse(1))).toList();
  }

  /** The rotation policy of a spec that passed {@link FleetValidator}, counts resolved against its replicas. */
  public static RotationSettings rotation(ProxyFleetSpec spec) {
    RotationPolicy rotation = Optional.ofNullable(spec.getRotation()).orElseGet(RotationPolicy::new);
    int replicas = spec.getReplicas();
    return new RotationSettings(
        rotation.getMaxAge() == null || rotation.getMaxAge().isEmpty() ? null : Durations.parse(rotation.getMaxAge()),
        OnBlocked.valueOf(Optional.ofNullable(rotation.getOnBlocked()).orElse("ReassignIP")),
        RotationSettings.resolve(String.valueOf(Optional.ofNullable(rotation.getMaxSurge()).map(v -> v.getValue()).orElse("25%")), replicas, true),
        RotationSettings.resolve(String.valueOf(Optional.ofNullable(rotation.getMaxUnavailable()).map(v -> v.getValue()).orElse(0)), replicas, false));
  }
}
