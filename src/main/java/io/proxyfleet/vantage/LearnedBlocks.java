package io.proxyfleet.vantage;

import io.proxyfleet.block.IpAddresses;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * What probes taught the operator about one fleet's addresses, kept in the fleet's learned
 * Blocklist: each address found blocked (as a /32) and each /24 in which {@code rangeThreshold}
 * addresses were, with when each expires. Pure: entries and the time in, entries out.
 */
public final class LearnedBlocks {

  /** Annotation on the learned Blocklist holding {@code {"cidr": "expiresAt", ...}}. */
  public static final String ENTRIES_ANNOTATION = "proxyfleet.io/learned-entries";

  /** Label on the learned Blocklist naming the fleet, as {@code <namespace>.<fleet>}. */
  public static final String FOR_LABEL = "proxyfleet.io/learned-for";

  private final TreeMap<String, Instant> entries;

  public LearnedBlocks(Map<String, Instant> entries) {
    this.entries = new TreeMap<>(entries);
  }

  /** The learned Blocklist of a fleet: cluster-scoped, so the namespace is in the name. */
  public static String blocklistName(String namespace, String fleet) {
    return io.proxyfleet.api.FleetBlocklists.learnedName(namespace, fleet);
  }

  /** Entries still in force at {@code now}, keyed by CIDR. */
  public Map<String, Instant> entries() {
    return java.util.Collections.unmodifiableMap(entries);
  }

  /** Drops what expired; returns whether anything did. */
  public boolean expire(Instant now) {
    return entries.values().removeIf(expires -> !expires.isAfter(now));
  }

  /**
   * Records an IPv4 address found blocked, and its /24 once {@code rangeThreshold} learned
   * addresses share it. Returns the /24 if this call added it.
   */
  public java.util.Optional<String> learn(String ip, Instant expires, int rangeThreshold) {
    long v4;
    try {
      v4 = IpAddresses.parseIpv4(ip);
    } catch (IllegalArgumentException e) {
      // IPv6 addresses are learned one by one; ranges of them are left to lists.
      entries.merge(ip + "/128", expires, LearnedBlocks::later);
      return java.util.Optional.empty();
    }
    entries.merge(ip + "/32", expires, LearnedBlocks::later);
    String range = slash24(v4);
    if (entries.containsKey(range)) {
      entries.merge(range, expires, LearnedBlocks::later);
      return java.util.Optional.empty();
    }
    long inRange =
        entries.keySet().stream()
            .filter(c -> c.endsWith("/32"))
            .filter(
                c -> slash24(IpAddresses.parseIpv4(c.substring(0, c.length() - 3))).equals(range))
            .count();
    if (inRange >= rangeThreshold) {
      entries.put(range, expires);
      return java.util.Optional.of(range);
    }
    return java.util.Optional.empty();
  }

  private static String slash24(long v4) {
    long base = v4 & 0xFFFFFF00L;
    return ((base >> 24) & 0xff)
        + "."
        + ((base >> 16) & 0xff)
        + "."
        + ((base >> 8) & 0xff)
        + ".0/24";
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }
}
