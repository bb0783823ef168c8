package io.proxyfleet.probe;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns probe results for one proxy address into a verdict. Pure: results and the time in, a
 * verdict out; the operator, the replay and the tests call the same code.
 *
 * <p>The rules, in order:
 *
 * <ol>
 *   <li>No check from outside yet: {@link Kind#UNCHECKED}, not published.
 *   <li>The latest check from outside failed: the daemon (or its VM) is down, whatever the inside
 *       says. Within {@code healthGrace} of the first failure in a row it is {@link Kind#SUSPECT}
 *       and stays published if it ever passed (one lost packet must not unpublish a proxy); after
 *       that {@link Kind#UNHEALTHY}: replace it, never rotate its IP.
 *   <li>Outside passes, and at least {@code minVantages} vantages failed to reach it in each of
 *       their last {@code confirmRounds} fresh results: {@link Kind#BLOCKED}, naming them. A single
 *       answered probe from a vantage breaks its streak, which damps flapping.
 *   <li>Vantages are live but none has ever reached this address: {@link Kind#AWAITING_INSIDE}, not
 *       published (a fresh IP is checked from inside before users get it).
 *   <li>Otherwise {@link Kind#HEALTHY}.
 * </ol>
 *
 * Results older than {@code resultTtl} are ignored, so a vantage that stops reporting can make a
 * proxy neither blocked nor healthy.
 */
public final class ProbeClassifier {

  /** How the classifier weighs evidence. */
  public record Settings(
      int minVantages, int confirmRounds, Duration healthGrace, Duration resultTtl) {
    public static final Settings DEFAULTS =
        new Settings(1, 2, Duration.ofMinutes(2), Duration.ofMinutes(3));

    public Settings {
      if (minVantages < 1 || confirmRounds < 1) {
        throw new IllegalArgumentException("minVantages and confirmRounds must be at least 1");
      }
      Objects.requireNonNull(healthGrace, "healthGrace");
      Objects.requireNonNull(resultTtl, "resultTtl");
    }
  }

  /**
   * What is known about one address.
   *
   * @param outside the operator's own checks of this address, oldest first
   * @param inside each vantage's results for this address, oldest first
   * @param liveVantages the vantages that report for this proxy's fleet and have not gone silent
   */
  public record Observation(
      List<ProbeResult> outside, Map<String, List<ProbeResult>> inside, Set<String> liveVantages) {
    public Observation {
      outside = List.copyOf(outside);
      inside = Map.copyOf(inside);
      liveVantages = Set.copyOf(liveVantages);
    }
  }

  public enum Kind {
    UNCHECKED,
    AWAITING_INSIDE,
    HEALTHY,
    SUSPECT,
    UNHEALTHY,
    BLOCKED
  }

  /**
   * @param since when the current failure began (SUSPECT, UNHEALTHY, BLOCKED), else null
   * @param vantages the vantages whose evidence made it BLOCKED
   */
  public record Verdict(
      Kind kind, boolean publishable, Instant since, List<String> vantages, String detail) {
    public Verdict {
      vantages = List.copyOf(vantages);
    }
  }

  private final Settings settings;

  public ProbeClassifier(Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  public Verdict classify(Observation o, Instant now) {
    List<ProbeResult> outside = o.outside();
    if (outside.isEmpty()) {
      return new Verdict(Kind.UNCHECKED, false, null, List.of(), "not checked from outside yet");
    }
    ProbeResult latest = outside.get(outside.size() - 1);
    if (!latest.passed()) {
      int first = outside.size() - 1;
      while (first > 0 && !outside.get(first - 1).passed()) {
        first--;
      }
      Instant since = outside.get(first).at();
      boolean everPassed = first > 0;
      String detail =
          "failing from outside since "
              + since
              + ": "
              + latest.outcome()
              + " ("
              + latest.detail()
              + ")";
      if (!Duration.between(since, now).minus(settings.healthGrace()).isNegative()) {
        return new Verdict(Kind.UNHEALTHY, false, since, List.of(), detail);
      }
      return new Verdict(Kind.SUSPECT, everPassed, since, List.of(), detail);
    }
    Instant fresh = now.minus(settings.resultTtl());
    Map<String, Instant> blockedSince = new TreeMap<>();
    boolean reachedInside = false;
    for (Map.Entry<String, List<ProbeResult>> e : o.inside().entrySet()) {
      // Ever reached from inside on this address (any age): publishing needs it once, not every
      // round.
      reachedInside |=
          o.liveVantages().contains(e.getKey())
              && e.getValue().stream().anyMatch(r -> r.outcome().answered());
      List<ProbeResult> recent =
          e.getValue().stream().filter(r -> !r.at().isBefore(fresh)).toList();
      if (recent.isEmpty() || recent.get(recent.size() - 1).outcome().answered()) {
        continue;
      }
      if (recent.size() >= settings.confirmRounds()) {
        List<ProbeResult> streak =
            recent.subList(recent.size() - settings.confirmRounds(), recent.size());
        if (streak.stream().noneMatch(r -> r.outcome().answered())) {
          blockedSince.put(e.getKey(), streak.get(0).at());
        }
      }
    }
    if (blockedSince.size() >= settings.minVantages()) {
      List<String> names = new ArrayList<>(blockedSince.keySet());
      Instant since = blockedSince.values().stream().min(Instant::compareTo).orElseThrow();
      return new Verdict(
          Kind.BLOCKED,
          false,
          since,
          names,
          "unreachable from "
              + String.join(", ", names)
              + " in "
              + settings.confirmRounds()
              + " rounds while reachable from outside");
    }
    if (!o.liveVantages().isEmpty() && !reachedInside) {
      return new Verdict(
          Kind.AWAITING_INSIDE, false, null, List.of(), "waiting for a vantage inside to reach it");
    }
    return new Verdict(Kind.HEALTHY, true, null, List.of(), latest.detail());
  }
}
