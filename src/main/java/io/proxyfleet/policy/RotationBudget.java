package io.proxyfleet.policy;

import io.proxyfleet.api.RotationBudgetStatus;
import java.time.Duration;
import java.time.Instant;

/**
 * maxRotationsPerHour as a token bucket: full at {@code perHour}, refilled continuously at {@code
 * perHour} per hour, each rotation start costs one token. The state lives in the fleet's status and
 * changes only when rotations consume it, so an idle fleet writes nothing.
 */
public final class RotationBudget {

  private RotationBudget() {}

  /** Tokens available now (fractional). */
  public static double available(RotationBudgetStatus state, int perHour, Instant now) {
    if (state == null || state.getAvailable() == null || state.getUpdatedAt() == null) {
      return perHour;
    }
    Instant at;
    try {
      at = Instant.parse(state.getUpdatedAt());
    } catch (RuntimeException e) {
      return perHour;
    }
    double elapsedHours = Math.max(0, Duration.between(at, now).toMillis()) / 3_600_000.0;
    return Math.min(perHour, state.getAvailable() + elapsedHours * perHour);
  }

  /** The state after {@code started} rotations at {@code now}. */
  public static RotationBudgetStatus charge(double available, int started, Instant now) {
    return new RotationBudgetStatus(Math.max(0, available - started), now.toString());
  }

  /** When the next whole token is there, from a level below one. */
  public static Duration untilNextToken(double available, int perHour) {
    if (available >= 1) {
      return Duration.ZERO;
    }
    return Duration.ofMillis((long) Math.ceil((1 - available) * 3_600_000.0 / perHour));
  }
}
