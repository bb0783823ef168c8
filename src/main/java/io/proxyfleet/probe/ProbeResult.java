package io.proxyfleet.probe;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One probe's result. {@code detail} says what happened in words an on-call engineer can act on; it
 * never holds credentials or bytes the proxy sent.
 */
public record ProbeResult(ProbeOutcome outcome, Duration latency, Instant at, String detail) {

  public ProbeResult {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(latency, "latency");
    Objects.requireNonNull(at, "at");
    detail = detail == null ? "" : detail;
  }

  public boolean passed() {
    return outcome == ProbeOutcome.PASSED;
  }
}
