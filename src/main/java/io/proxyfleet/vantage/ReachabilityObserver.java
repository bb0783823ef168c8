package io.proxyfleet.vantage;

import io.proxyfleet.probe.ProbeOutcome;
import java.time.Duration;
import java.util.Map;

/** What the reachability checks saw, for metrics; every method may be called from any thread. */
public interface ReachabilityObserver {

  ReachabilityObserver NONE = new ReachabilityObserver() {};

  /** One check of a proxy from the operator's own vantage. */
  default void checked(ProbeOutcome outcome) {}

  /**
   * The results every Vantage of the watched fleets reports now, by outcome, keyed by {@code
   * namespace/vantage}; a Vantage missing from a later call is gone. {@code accepted} says whether
   * its reports are used (not silent).
   */
  default void vantages(Map<String, VantageReport> reports) {}

  /**
   * A proxy found blocked by vantages serves on a clean address again, this long after the first
   * failed inside probe.
   */
  default void servingAgain(Duration sinceFirstFailedInsideProbe) {}

  record VantageReport(Map<ProbeOutcome, Integer> results, boolean accepted) {}
}
