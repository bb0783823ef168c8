package io.proxyfleet.replay;

import io.proxyfleet.ranges.RegionExposure;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a replay measured.
 *
 * @param warmUp from the start until every desired proxy first served on an unblocked IP (null:
 *     never)
 * @param availability proxy-time serving on unblocked IPs (at most replicas at once) over replicas
 *     × time, measured from the end of the warm-up (from the start when the fleet never was
 *     complete)
 * @param steps block events in the window, one per distinct time
 * @param ipsDrawn addresses allocated, blocked draws included
 * @param blockedDraws draws that were blocked (per the operator's view) and released again
 * @param rotationsByReason rotations started, as the fleet status counts them
 * @param deletesByReason proxies deleted by the planner
 * @param failuresByReason proxies that turned Failed (NoCleanAddress, LaunchTimeout, ...)
 * @param finalSpread per slot at the end
 * @param finalExposure per fleet region, the blocked fraction of its published space at the end
 * @param wallMillis wall-clock time the simulation took
 * @param detection how blocks were made and how the operator found them
 */
public record ReplayReport(
    String fleet,
    int replicas,
    String onBlocked,
    ReplaySettings settings,
    Instant end,
    int timelineEvents,
    long passes,
    Duration warmUp,
    double availability,
    double servingProxyHours,
    double desiredProxyHours,
    List<Step> steps,
    Recovery recovery,
    long ipsDrawn,
    long blockedDraws,
    Map<String, Long> rotationsByReason,
    Map<String, Long> deletesByReason,
    Map<String, Long> failuresByReason,
    long ipRotations,
    long instancesLaunched,
    List<Spread> finalSpread,
    List<Exposure> finalExposure,
    long wallMillis,
    Detection detection) {

  /**
   * One block event (every range reported at one instant).
   *
   * @param cidrs CIDRs first reported at this instant (repeats of earlier reports left out)
   * @param censored what the learning censor blocked at this instant, in no list (/32s, and /24s)
   * @param newlyBlocked IPv4 addresses that became blocked at this instant
   * @param affectedProxies proxies serving on an address this event blocked
   * @param recovery from the event until every desired proxy served on an unblocked IP again; null
   *     when the event affected no proxy or the fleet had not recovered by the end
   */
  public record Step(
      Instant at,
      List<String> cidrs,
      List<String> censored,
      long newlyBlocked,
      int affectedProxies,
      Duration recovery) {
    public boolean affected() {
      return affectedProxies > 0;
    }
  }

  /**
   * Times to recover over the events that affected the fleet (nearest-rank percentiles; null when
   * no event recovered).
   */
  public record Recovery(
      int affectedEvents,
      int recovered,
      int unrecovered,
      Duration p50,
      Duration p95,
      Duration max) {}

  /**
   * One slot at the end: what the planner wanted, what existed, what served on an unblocked IP, and
   * what was Running on a blocked one (not yet detected or not yet rotated).
   */
  public record Spread(
      String cloudProfile, String region, int desired, int proxies, int serving, int onBlockedIp) {}

  /**
   * How blocks were made and found.
   *
   * @param mode {@code lists} or {@code probes} ({@link DetectionModel.Mode#wireName()})
   * @param listLag how long after a report the lists had it
   * @param probeInterval the vantage's round; null with lists only
   * @param confirmRounds failed rounds that made a block (0 with lists only)
   * @param rangeThreshold addresses found blocked in a /24 that made the /24 learned (0 with lists
   *     only)
   * @param probeRounds rounds the vantage ran
   * @param censor the learning censor; null when there was none
   * @param censorAddresses addresses the learning censor blocked one by one
   * @param censorRanges /24s the learning censor blocked whole
   * @param foundByLists proxy addresses the operator learned were blocked from the lists
   * @param foundByProbes proxy addresses it learned from the vantage (and no list had yet)
   * @param foundByProbesClean of those, addresses not truly blocked: a learned /24 over a clean one
   */
  public record Detection(
      String mode,
      Duration listLag,
      Duration probeInterval,
      int confirmRounds,
      int rangeThreshold,
      long probeRounds,
      LearningCensor.Settings censor,
      long censorAddresses,
      int censorRanges,
      long foundByLists,
      long foundByProbes,
      long foundByProbesClean) {}

  /** A fleet region's exposure at the end, with the provider whose range file it comes from. */
  public record Exposure(String provider, RegionExposure exposure) {}
}
