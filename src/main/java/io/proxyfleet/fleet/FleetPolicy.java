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

  /** rotation.burnedRegionCooldown: how long a region where every draw was blocked gets no new proxies. */
  public static Duration burnedRegionCooldown(ProxyFleetSpec spec) {
    String text = Optional.ofNullable(spec.getRotation()).map(RotationPolicy::getBurnedRegionCooldown).orElse(null);
    try {
      return text == null || text.isEmpty() ? Duration.ofMinutes(30) : Durations.parse(text);
    } catch (IllegalArgumentException e) {
      return Duration.ofMinutes(30);
    }
  }

  /** rotation.maxAddressDraws: fresh addresses a proxy draws until one is clean; {@code fallback} when unset. */
  public static int maxAddressDraws(ProxyFleetSpec spec, int fallback) {
    return Optional.ofNullable(spec.getRotation()).map(RotationPolicy::getMaxAddressDraws).orElse(fallback);
  }

  /** rotation.maxRotationsPerHour, or null without a budget. */
  public static Integer maxRotationsPerHour(ProxyFleetSpec spec) {
    return Optional.ofNullable(spec.getRotation()).map(RotationPolicy::getMaxRotationsPerHour).orElse(null);
  }

  /** spec.maxRegionBlockedPercent (default 80). */
  public static int maxRegionBlockedPercent(ProxyFleetSpec spec) {
    return Optional.ofNullable(spec.getMaxRegionBlockedPercent()).orElse(80);
  }

  /** Why a region is avoided for its blocked fraction, or null when it is usable. */
  public static String avoidance(double blockedFraction, int maxBlockedPercent) {
    return blockedFraction * 100 > maxBlockedPercent
        ? BlockedFractions.percent(blockedFraction) + " of its address space is blocked (maxRegionBlockedPercent " + maxBlockedPercent + ")"
        : null;
  }
}
