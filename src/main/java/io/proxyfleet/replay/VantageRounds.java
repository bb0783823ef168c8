package io.proxyfleet.replay;

import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.block.IpRange;
import io.proxyfleet.probe.ProbeClassifier;
import io.proxyfleet.probe.ProbeOutcome;
import io.proxyfleet.probe.ProbeResult;
import io.proxyfleet.vantage.LearnedBlocks;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * One vantage inside the censored network, on the replay's clock, and what the operator makes of
 * its reports. Rounds start every {@code interval} from the replay's start: a round probes every
 * address published at its start, sees the censor as it is then, and its report reaches the
 * operator at the round's end (the agent writes its status at most once per {@code
 * reportInterval}). Each report is classified by the production {@link ProbeClassifier}, so an
 * address blocked at a round start is found blocked {@code confirmRounds} intervals later; what it
 * finds is learned through the production {@link LearnedBlocks}. As in the operator, an address is
 * published only once the classifier calls it publishable: a vantage reached it once, so a fresh
 * address waits for the report of the round that first probed it.
 *
 * <p>The vantage probes every Running proxy the operator does not know to be blocked (the agent
 * lists Proxies, not the endpoints Secret). What is not modelled: outages (the outside check always
 * passes, at once), several vantages (every vantage sees the same censor, so {@code minVantages}
 * changes nothing), and silent vantages.
 */
final class VantageRounds {

  static final String VANTAGE = "replay-inside";

  /** One probe: of which address, when, and whether it went unanswered. */
  private record Probe(String ip, Instant at, boolean failed) {}

  private final Instant anchor;
  private final Duration interval;
  private final int confirmRounds;
  private final int rangeThreshold;
  private final Duration learnedTtl;
  private final ProbeClassifier classifier;
  private final LearnedBlocks learned = new LearnedBlocks(Map.of());
  // Keyed by "<proxy uid>/<ip>": a proxy's new address starts with no history, as in the operator.
  private Map<String, Probe> inFlight = Map.of();
  private final Map<String, ArrayDeque<ProbeResult>> history = new HashMap<>();
  private final Set<String> found = new HashSet<>();
  private final Set<String> publishable = new HashSet<>();
  private List<IpRange> learnedRanges = List.of();
  private long rounds;

  VantageRounds(
      Instant anchor,
      Duration interval,
      int confirmRounds,
      int rangeThreshold,
      Duration learnedTtl) {
    this.anchor = anchor;
    this.interval = interval;
    this.confirmRounds = confirmRounds;
    this.rangeThreshold = rangeThreshold;
    this.learnedTtl = learnedTtl;
    // One vantage; the streak must still be fresh when its last round is reported, so results live
    // one round longer than the streak. The health grace never applies: outside always passes.
    this.classifier =
        new ProbeClassifier(
            new ProbeClassifier.Settings(
                1,
                confirmRounds,
                Duration.ofMinutes(2),
                interval.multipliedBy(confirmRounds + 1L)));
  }

  /** Whether a round starts (and the previous one reports) at {@code t}. */
  boolean isRound(Instant t) {
    return !t.isBefore(anchor) && Duration.between(anchor, t).toMillis() % interval.toMillis() == 0;
  }

  /** The first round boundary strictly after {@code t}. */
  Instant nextRoundAfter(Instant t) {
    long i = interval.toMillis();
    long since = Math.max(0, Duration.between(anchor, t).toMillis());
    return anchor.plusMillis((since / i + 1) * i);
  }

  /**
   * The round that started one interval ago reports. Returns whether the operator learned anything
   * (the learned view changed).
   */
  boolean report(Instant now) {
    boolean changed = learned.expire(now);
    history.keySet().retainAll(inFlight.keySet());
    found.retainAll(inFlight.keySet());
    publishable.retainAll(inFlight.keySet());
    List<ProbeResult> outside =
        List.of(
            new ProbeResult(
                ProbeOutcome.PASSED, Duration.ZERO, now, "replay: outside always passes"));
    for (Map.Entry<String, Probe> e : inFlight.entrySet()) {
      Probe probe = e.getValue();
      ArrayDeque<ProbeResult> h = history.computeIfAbsent(e.getKey(), k -> new ArrayDeque<>());
      h.addLast(
          new ProbeResult(
              probe.failed() ? ProbeOutcome.TIMEOUT : ProbeOutcome.PASSED,
              Duration.ZERO,
              probe.at(),
              ""));
      while (h.size() > confirmRounds + 1) {
        h.removeFirst();
      }
      ProbeClassifier.Verdict v =
          classifier.classify(
              new ProbeClassifier.Observation(
                  outside, Map.of(VANTAGE, List.copyOf(h)), Set.of(VANTAGE)),
              now);
      if (v.publishable()) {
        publishable.add(e.getKey());
      } else {
        publishable.remove(e.getKey());
      }
      if (v.kind() == ProbeClassifier.Kind.BLOCKED && found.add(e.getKey())) {
        learned.learn(probe.ip(), now.plus(learnedTtl), rangeThreshold);
        changed = true;
      }
    }
    inFlight = Map.of();
    if (changed) {
      learnedRanges = learned.entries().keySet().stream().map(IpAddresses::parseRange).toList();
    }
    return changed;
  }

  /**
   * A round starts: the vantage probes every address it is given ({@code "<uid>/<ip>"} to ip) as
   * the censor has it now.
   */
  void probe(Instant now, Map<String, String> addresses, Predicate<String> trulyBlocked) {
    Map<String, Probe> next = new LinkedHashMap<>();
    addresses.forEach((key, ip) -> next.put(key, new Probe(ip, now, trulyBlocked.test(ip))));
    inFlight = next;
    rounds++;
  }

  /**
   * Whether the operator may publish this address ({@code "<uid>/<ip>"}): the classifier's verdict
   * at the last report, so once a round reached it and until a streak of failures made it blocked.
   */
  boolean publishable(String key) {
    return publishable.contains(key);
  }

  /**
   * The learned Blocklist's ranges, for the operator's block index (built by the caller together
   * with the lists: one build, not two).
   */
  List<IpRange> learnedRanges() {
    return learnedRanges;
  }

  /** The learned Blocklist's entries (CIDR to expiry), for tests. */
  Map<String, Instant> learnedEntries() {
    return learned.entries();
  }

  long rounds() {
    return rounds;
  }

  int confirmRounds() {
    return confirmRounds;
  }

  int rangeThreshold() {
    return rangeThreshold;
  }
}
