package io.proxyfleet.blocklist;

import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.IpRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The feed sanity guard: decides whether a new version of a list may replace the one in force. A
 * broken feed (a stray {@code 0.0.0.0/0}, a list concatenated with a routing table) would make
 * every fleet rotate every proxy at once, so an update that newly covers an absurd share of the
 * IPv4 space is held until an engineer accepts it by its hash. Pure: no clock, no I/O.
 */
public final class BlocklistGuard {

  /** 2^32: the IPv4 space. */
  public static final long IPV4_SPACE = 1L << 32;

  /**
   * What is in force: an index, only its size (after a restart the index is gone but status
   * remembers the size), or nothing (the list was never published).
   */
  public record Baseline(BlockIndex index, long ipv4Addresses, boolean exists) {
    public static Baseline none() {
      return new Baseline(null, 0, false);
    }

    public static Baseline of(BlockIndex index) {
      return new Baseline(index, index.ipv4Addresses(), true);
    }

    public static Baseline sizeOnly(long ipv4Addresses) {
      return new Baseline(null, ipv4Addresses, true);
    }

    long coveredIn(long start, long end) {
      return index == null ? 0 : index.ipv4CoveredIn(start, end);
    }
  }

  /**
   * The decision on one candidate version.
   *
   * @param held whether it must wait for acceptance
   * @param reason the thresholds crossed, with numbers (empty when not held)
   * @param newIpv4Addresses addresses the candidate covers that the baseline does not (a lower
   *     bound when only the baseline's size is known)
   * @param widestNewRange the widest newly covered merged range, e.g. {@code 0.0.0.0/0}
   */
  public record Verdict(
      boolean held, String reason, long newIpv4Addresses, String widestNewRange) {}

  private final GuardSettings settings;

  public BlocklistGuard(GuardSettings settings) {
    this.settings = settings;
  }

  public Verdict check(Baseline baseline, BlockIndex candidate) {
    return check(baseline, candidate, true);
  }

  /**
   * @param fromSources whether the change comes from the sources alone (false when spec.cidrs or
   *     the list of sources was edited: a human removing ranges is never held for shrinking)
   */
  public Verdict check(Baseline baseline, BlockIndex candidate, boolean fromSources) {
    long candidateSize = candidate.ipv4Addresses();
    long fresh = 0;
    IpRange widest = null;
    long widestFresh = 0;
    for (IpRange r : candidate.ipv4Ranges()) {
      long newHere = r.ipv4Size() - baseline.coveredIn(r.startLo(), r.endLo());
      fresh += newHere;
      if (newHere > 0 && (widest == null || r.ipv4Size() > widest.ipv4Size())) {
        widest = r;
        widestFresh = newHere;
      }
    }
    if (baseline.index() == null && baseline.exists()) {
      // Only the size is known: the growth is a lower bound on what is new.
      fresh = Math.max(0, candidateSize - baseline.ipv4Addresses());
    }
    List<String> crossed = new ArrayList<>();
    int prefix = settings.minIpv4Prefix();
    if (prefix > 0 && widest != null && widest.ipv4Size() > (1L << (32 - prefix))) {
      crossed.add(
          widest.describe()
              + " ("
              + widest.ipv4Size()
              + " addresses, "
              + widestFresh
              + " of them new) is wider than /"
              + prefix
              + " (spec.guard.minIpv4Prefix)");
    }
    if (fresh > settings.maxNewIpv4Addresses()) {
      crossed.add(
          "it newly covers "
              + fresh
              + " IPv4 addresses ("
              + percent(fresh)
              + " of IPv4), more than "
              + settings.maxNewIpv4Addresses()
              + " (spec.guard.maxNewIpv4Addresses)");
    }
    if (baseline.exists()
        && candidateSize > settings.growthFloor()
        && candidateSize > multiply(baseline.ipv4Addresses(), settings.maxGrowthFactor())) {
      crossed.add(
          "it grows the list from "
              + baseline.ipv4Addresses()
              + " to "
              + candidateSize
              + " IPv4 addresses, more than "
              + settings.maxGrowthFactor()
              + "x (spec.guard.maxGrowthFactor;"
              + " lists up to spec.guard.growthFloor="
              + settings.growthFloor()
              + " may grow freely)");
    }
    // Only against an index in memory: after a restart a partial first version (a source still
    // down) is expected, and holding it would publish nothing at all.
    long before = baseline.ipv4Addresses();
    if (fromSources
        && baseline.index() != null
        && before > 0
        && settings.maxShrinkPercent() < 100
        && (before - candidateSize) * 100 > before * settings.maxShrinkPercent()) {
      crossed.add(
          "it shrinks the list from "
              + before
              + " to "
              + candidateSize
              + " IPv4 addresses, by more than "
              + settings.maxShrinkPercent()
              + "% (spec.guard.maxShrinkPercent; a feed that suddenly returns little or nothing)");
    }
    return new Verdict(
        !crossed.isEmpty(),
        String.join("; ", crossed),
        fresh,
        widest == null ? null : widest.describe());
  }

  private static long multiply(long value, int factor) {
    return value > Long.MAX_VALUE / Math.max(1, factor) ? Long.MAX_VALUE : value * factor;
  }

  private static String percent(long addresses) {
    return String.format(Locale.ROOT, "%.3f%%", 100.0 * addresses / IPV4_SPACE);
  }
}
