package io.proxyfleet.replay;

import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.block.IpRange;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A censor that reads the fleet's published endpoints, as one enumerating a proxy distribution
 * channel does, and blocks every address it found there {@code delay} later, publishing nothing: an
 * address published at {@code t} is in the true block set from {@code t + delay}, whatever the
 * operator does with it meanwhile (the censor keeps what it learned). With {@code rangeAfter} set,
 * the censor blocks a whole /24 at the moment it blocks the {@code rangeAfter}-th address of it.
 *
 * <p>Not a copy of anything in the operator: this is the world the operator has to find out about,
 * so it sees only what the replay says was published.
 */
public final class LearningCensor {

  /**
   * @param delay from first seeing an address published to blocking it
   * @param rangeAfter blocked addresses of one /24 after which the censor blocks the /24; 0 = never
   */
  public record Settings(Duration delay, int rangeAfter) {
    public Settings {
      Objects.requireNonNull(delay, "delay");
      if (delay.isNegative())
        throw new IllegalArgumentException("censor delay must not be negative, was " + delay);
      if (rangeAfter < 0)
        throw new IllegalArgumentException(
            "rangeAfter must be 0 (never) or at least 1, was " + rangeAfter);
    }
  }

  private final Settings settings;
  // Every address ever seen published (IPv4 as 0..2^32-1): learned once, blocked once.
  private final Set<Long> learned = new HashSet<>();
  private final TreeMap<Instant, List<Long>> scheduled = new TreeMap<>();
  private final Map<Long, Integer> blockedPer24 = new HashMap<>();
  private final BlockIndex.Builder blocks = BlockIndex.builder();
  private BlockIndex index = BlockIndex.EMPTY;
  private long addressesBlocked;
  private int rangesBlocked;

  public LearningCensor(Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  public Settings settings() {
    return settings;
  }

  /**
   * The censor reads the endpoints at {@code now}; addresses it has not seen are blocked {@code
   * delay} later.
   */
  public void observe(Instant now, Collection<String> published) {
    for (String ip : published) {
      long v4;
      try {
        v4 = IpAddresses.parseIpv4(ip);
      } catch (IllegalArgumentException e) {
        continue; // the simulated clouds hand out IPv4 only
      }
      if (learned.add(v4)) {
        scheduled.computeIfAbsent(now.plus(settings.delay()), k -> new ArrayList<>()).add(v4);
      }
    }
  }

  /** When the next learned block takes effect, strictly after {@code t}. */
  public Optional<Instant> nextBlockAfter(Instant t) {
    return Optional.ofNullable(scheduled.higherKey(t));
  }

  /**
   * Puts into force every block due at or before {@code now}; returns the CIDRs newly blocked
   * (addresses as /32, ranges as /24), in the order they took effect.
   */
  public List<String> advance(Instant now) {
    List<String> added = new ArrayList<>();
    // Built once per call, not per address: past 1,024 ranges every build makes a 256 KiB table.
    Set<Long> rangesNow = new HashSet<>();
    while (!scheduled.isEmpty() && !scheduled.firstKey().isAfter(now)) {
      for (long ip : scheduled.pollFirstEntry().getValue()) {
        long base = ip & 0xFFFFFF00L;
        if (index.containsIpv4(ip) || rangesNow.contains(base)) {
          continue; // already inside a /24 the censor blocked
        }
        blocks.addIpv4(ip, ip);
        addressesBlocked++;
        added.add(IpAddresses.formatIpv4(ip) + "/32");
        int inRange = blockedPer24.merge(base, 1, Integer::sum);
        if (settings.rangeAfter() > 0 && inRange == settings.rangeAfter()) {
          blocks.addIpv4(base, base + 255);
          rangesNow.add(base);
          rangesBlocked++;
          added.add(IpAddresses.formatIpv4(base) + "/24");
        }
      }
    }
    if (!added.isEmpty()) {
      index = blocks.build();
    }
    return added;
  }

  /** What the censor blocks now (lists not included). */
  public BlockIndex blocked() {
    return index;
  }

  /** Addresses the censor blocked one by one. */
  public long addressesBlocked() {
    return addressesBlocked;
  }

  /** /24s the censor blocked whole. */
  public int rangesBlocked() {
    return rangesBlocked;
  }

  /** The block set as ranges, for tests. */
  List<IpRange> ranges() {
    return index.ipv4Ranges();
  }
}
