package io.proxyfleet.policy;

import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.IpRange;
import io.proxyfleet.cloud.CloudProvider;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.WeakHashMap;

/**
 * How much of a region's public address space a fleet's blocklists cover. The space comes from the
 * provider when it knows it (local mode), else from the clouds' published ranges. Results are
 * cached per block index instance, so a fleet pays for the computation only when a list changes.
 */
public final class BlockedFractions {

  /** The published compute ranges of a cloud region (AWS service EC2, Google Cloud scopes). */
  @FunctionalInterface
  public interface PublishedRanges {
    List<IpRange> ranges(String providerType, String region);

    PublishedRanges NONE = (provider, region) -> List.of();
  }

  private final PublishedRanges published;
  private final Map<BlockIndex, Map<String, OptionalDouble>> cache = new WeakHashMap<>();

  public BlockedFractions(PublishedRanges published) {
    this.published = published;
  }

  /** Drops every cached fraction (the published ranges changed). */
  public synchronized void forget() {
    cache.clear();
  }

  /** The covered share in [0, 1], or empty when nothing is known about the region's addresses. */
  public synchronized OptionalDouble blockedFraction(
      CloudProvider provider, String region, BlockIndex index) {
    String key = provider.type() + "/" + region;
    Map<String, OptionalDouble> perRegion = cache.computeIfAbsent(index, k -> new HashMap<>());
    OptionalDouble known = perRegion.get(key);
    if (known != null) {
      return known;
    }
    List<IpRange> space = provider.addressSpace(region);
    if (space.isEmpty()) {
      space = published.ranges(provider.type(), region);
    }
    OptionalDouble fraction = fraction(space, index);
    perRegion.put(key, fraction);
    return fraction;
  }

  /** The covered share of IPv4 ranges (assumed disjoint, as published ranges merged are). */
  public static OptionalDouble fraction(List<IpRange> space, BlockIndex index) {
    long total = 0;
    long covered = 0;
    for (IpRange r : space) {
      if (r.ipv6()) {
        continue;
      }
      total += r.endLo() - r.startLo() + 1;
      covered += index.ipv4CoveredIn(r.startLo(), r.endLo());
    }
    return total == 0 ? OptionalDouble.empty() : OptionalDouble.of((double) covered / total);
  }

  /** "87.31%": the status and CLI form, two decimals. */
  public static String percent(double fraction) {
    return String.format(java.util.Locale.ROOT, "%.2f%%", fraction * 100);
  }
}
