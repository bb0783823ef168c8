package io.proxyfleet.planner;

import io.proxyfleet.api.OnBlocked;
import java.time.Duration;

/**
 * A fleet's rotation policy with counts resolved against its replicas.
 *
 * @param maxAge null when proxies are not rotated by age
 */
public record RotationSettings(
    Duration maxAge, OnBlocked onBlocked, int maxSurge, int maxUnavailable) {

  /**
   * The share of maxAge a proxy's deadline may be pulled forward, so a fleet does not expire at
   * once.
   */
  public static final double MAX_AGE_JITTER = 0.10;

  /** Resolves "25%" (of replicas, rounding up for surge and down for unavailability) or a count. */
  public static int resolve(String intOrPercent, int replicas, boolean roundUp) {
    String v = intOrPercent.strip();
    if (v.endsWith("%")) {
      int pct = Integer.parseInt(v.substring(0, v.length() - 1));
      return roundUp
          ? (int) Math.ceil(replicas * pct / 100.0)
          : (int) Math.floor(replicas * pct / 100.0);
    }
    return Integer.parseInt(v);
  }
}
