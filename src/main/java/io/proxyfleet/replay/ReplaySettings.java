package io.proxyfleet.replay;

import java.time.Duration;
import java.time.Instant;

/**
 * How a replay runs.
 *
 * @param start when the fleet is created (empty) on the simulated clock
 * @param duration how long to simulate from {@code start}
 * @param period reconcile passes happen at least this often (also right at block events, boots and
 *     hold expiries)
 * @param bootDelay how long a launched instance takes to become RUNNING
 * @param detectionDelay how long after a block event the operator's blocklist contains it (a
 *     blocklist source's polling interval); availability always uses the true blocks
 * @param maxDraws addresses a proxy may draw per assignment before it gives up when the fleet does
 *     not say (the operator-wide {@code maxAddressDraws}); the fleet's {@code
 *     rotation.maxAddressDraws} wins, as in the operator
 * @param subnetsPerRegion subnets (zones) the simulated cloud offers per region
 * @param seed the only source of randomness (address draws, proxy names)
 */
public record ReplaySettings(
    Instant start,
    Duration duration,
    Duration period,
    Duration bootDelay,
    Duration detectionDelay,
    int maxDraws,
    int subnetsPerRegion,
    long seed) {

  public static final Duration DEFAULT_DURATION = Duration.ofHours(48);
  public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(10);
  public static final Duration DEFAULT_BOOT_DELAY = Duration.ofSeconds(45);

  /** The operator's default ({@code OperatorSettings.localMode}). */
  public static final int DEFAULT_MAX_DRAWS = 10;

  public static final int DEFAULT_SUBNETS = 3;

  public ReplaySettings {
    if (duration.isNegative() || duration.isZero())
      throw new IllegalArgumentException("duration must be positive, was " + duration);
    if (period.isNegative() || period.isZero())
      throw new IllegalArgumentException("period must be positive, was " + period);
    if (bootDelay.isNegative())
      throw new IllegalArgumentException("bootDelay must not be negative, was " + bootDelay);
    if (detectionDelay.isNegative())
      throw new IllegalArgumentException(
          "detectionDelay must not be negative, was " + detectionDelay);
    if (maxDraws < 1)
      throw new IllegalArgumentException("maxDraws must be at least 1, was " + maxDraws);
  }

  public Instant end() {
    return start.plus(duration);
  }
}
