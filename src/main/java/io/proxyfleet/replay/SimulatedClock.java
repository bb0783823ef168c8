package io.proxyfleet.replay;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** The replay's clock: it only moves when the replay moves it, so simulated days take milliseconds. */
public final class SimulatedClock extends Clock {

  private Instant now;

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
