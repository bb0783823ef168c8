package io.proxyfleet.policy;

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

  /** The placements of a spec that passed the fleet validator. */
  public static List<PlacementView> placements(ProxyFleetSpec spec) {
    return spec.getPlacement().stream()
        .map(
            p ->
                new PlacementView(
                    p.getCloudProfile(),
                    p.getRegions(),
                    Optional.ofNullable(p.getWeight()).orElse(1)))
        .toList();
  }

  /**
   * The rotation policy of a spec that passed the fleet validator, counts resolved against its
   * replicas.
   */
  public static RotationSettings rotation(ProxyFleetSpec spec) {
    RotationPolicy rotation =
        Optional.ofNullable(spec.getRotation()).orElseGet(RotationPolicy::new);
    int replicas = spec.getReplicas();
    return new RotationSettings(
        rotation.getMaxAge() == null || rotation.getMaxAge().isEmpty()
            ? null
            : Durations.parse(rotation.getMaxAge()),
        OnBlocked.valueOf(Optional.ofNullable(rotation.getOnBlocked()).orElse("ReassignIP")),
        RotationSettings.resolve(
            String.valueOf(
                Optional.ofNullable(rotation.getMaxSurge()).map(v -> v.getValue()).orElse("25%")),
            replicas,
            true),
        RotationSettings.resolve(
            String.valueOf(
                Optional.ofNullable(rotation.getMaxUnavailable()).map(v -> v.getValue()).orElse(0)),
            replicas,
            false));
  }

  /**
   * rotation.burnedRegionCooldown: how long a region where every draw was blocked gets no new
   * proxies.
   */
  public static Duration burnedRegionCooldown(ProxyFleetSpec spec) {
    String text =
        Optional.ofNullable(spec.getRotation())
            .map(RotationPolicy::getBurnedRegionCooldown)
            .orElse(null);
    try {
      return text == null || text.isEmpty() ? Duration.ofMinutes(30) : Durations.parse(text);
    } catch (IllegalArgumentException e) {
      return Duration.ofMinutes(30);
    }
  }

  /**
   * How long a proxy may take to run before it is failed and replaced, when spec.launchTimeout is
   * unset or unreadable.
   */
  public static final Duration DEFAULT_LAUNCH_TIMEOUT = Duration.ofMinutes(10);

  /**
   * spec.launchTimeout, or {@link #DEFAULT_LAUNCH_TIMEOUT} when unset or unreadable (the validator
   * reports an unreadable one; a proxy must not stop launching because of it). The proxy reconciler
   * and the blockade replay both read it here, so they cannot drift apart again.
   */
  public static Duration launchTimeout(ProxyFleetSpec spec) {
    String text = spec == null ? null : spec.getLaunchTimeout();
    try {
      return text == null || text.isEmpty() ? DEFAULT_LAUNCH_TIMEOUT : Durations.parse(text);
    } catch (IllegalArgumentException e) {
      return DEFAULT_LAUNCH_TIMEOUT;
    }
  }

  /**
   * rotation.maxAddressDraws: fresh addresses a proxy draws until one is clean; {@code fallback}
   * when unset.
   */
  public static int maxAddressDraws(ProxyFleetSpec spec, int fallback) {
    return Optional.ofNullable(spec.getRotation())
        .map(RotationPolicy::getMaxAddressDraws)
        .orElse(fallback);
  }

  /**
   * Rotations per hour when rotation.maxRotationsPerHour is unset: at least this many, so a whole
   * small fleet can still move at once when a block wave hits it.
   */
  public static final int DEFAULT_ROTATIONS_PER_HOUR_FLOOR = 60;

  /** ...and otherwise twice the replicas: every proxy can rotate twice within an hour, no more. */
  public static final int DEFAULT_ROTATIONS_PER_REPLICA_HOUR = 2;

  /**
   * rotation.maxRotationsPerHour, or by default the larger of 60 and twice the replicas: a short
   * maxAge or a flapping blocklist must never turn into an unbounded launch storm on a real cloud.
   */
  public static int maxRotationsPerHour(ProxyFleetSpec spec) {
    return Optional.ofNullable(spec.getRotation())
        .map(RotationPolicy::getMaxRotationsPerHour)
        .orElseGet(
            () ->
                Math.max(
                    DEFAULT_ROTATIONS_PER_HOUR_FLOOR,
                    DEFAULT_ROTATIONS_PER_REPLICA_HOUR
                        * Optional.ofNullable(spec.getReplicas()).orElse(0)));
  }

  /** spec.maxRegionBlockedPercent (default 80). */
  public static int maxRegionBlockedPercent(ProxyFleetSpec spec) {
    return Optional.ofNullable(spec.getMaxRegionBlockedPercent()).orElse(80);
  }

  /** Why a region is avoided for its blocked fraction, or null when it is usable. */
  public static String avoidance(double blockedFraction, int maxBlockedPercent) {
    return blockedFraction * 100 > maxBlockedPercent
        ? BlockedFractions.percent(blockedFraction)
            + " of its address space is blocked (maxRegionBlockedPercent "
            + maxBlockedPercent
            + ")"
        : null;
  }
}
