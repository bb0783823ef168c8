package io.proxyfleet.blocklist;

import java.time.Duration;
import java.time.Instant;

/**
 * When a URL source is fetched next: its refresh interval after a success, and an exponential
 * backoff from {@link #FIRST_RETRY} up to the refresh interval after consecutive failures, so a
 * broken feed is retried soon but never hammered.
 */
public final class RefreshSchedule {

  public static final Duration FIRST_RETRY = Duration.ofSeconds(30);

  private RefreshSchedule() {}

  public static Instant afterSuccess(Instant now, Duration refreshInterval) {
    return now.plus(refreshInterval);
  }

  /**
   * @param failures consecutive failures including this one (1 for the first)
   */
  public static Instant afterFailure(Instant now, int failures, Duration refreshInterval) {
    return now.plus(backoff(failures, refreshInterval));
  }

  static Duration backoff(int failures, Duration refreshInterval) {
    int doublings = Math.min(Math.max(failures, 1) - 1, 20);
    Duration delay = FIRST_RETRY.multipliedBy(1L << doublings);
    return delay.compareTo(refreshInterval) > 0 ? refreshInterval : delay;
  }
}
