package io.proxyfleet.replay;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock that only moves when told to: the replay's clock (simulated days take milliseconds) and
 * the clock tests move by hand. Volatile because the code reading it may run on other threads.
 */
public final class SimulatedClock extends Clock {

  private volatile Instant now;

  public SimulatedClock(Instant start) {
    this.now = start;
  }

  /** Moves to {@code t}; time never goes backwards. */
  public void set(Instant t) {
    if (t.isBefore(now)) {
      throw new IllegalArgumentException("simulated time cannot go back from " + now + " to " + t);
    }
    now = t;
  }

  /** Moves forward by {@code duration}. */
  public void advance(java.time.Duration duration) {
    set(now.plus(duration));
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("the simulated clock is UTC only");
  }
}
