package io.proxyfleet.ranges;

import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.IpRange;
import java.util.Arrays;
import java.util.List;

/**
 * One region's public IPv4 space: its prefixes merged into disjoint, sorted ranges. Kept in
 * primitive arrays with running totals so a uniform draw over the whole space is a binary search.
 */
public final class RegionRanges {

  private final String region;
  private final int prefixes;
  private final long[] starts;
  private final long[] ends;
  // cumulative[i] = addresses in ranges 0..i-1; cumulative[n] = total.
  private final long[] cumulative;

  RegionRanges(String region, int prefixes, List<IpRange> merged) {
    this.region = region;
    this.prefixes = prefixes;
    int n = merged.size();
    this.starts = new long[n];
    this.ends = new long[n];
    this.cumulative = new long[n + 1];
    for (int i = 0; i < n; i++) {
      starts[i] = merged.get(i).startLo();
      ends[i] = merged.get(i).endLo();
      cumulative[i + 1] = cumulative[i] + ends[i] - starts[i] + 1;
    }
  }

  /** Builds a region from IPv4 ranges in any order, overlapping or not. */
  public static RegionRanges of(String region, List<IpRange> ranges) {
    BlockIndex.Builder merge = BlockIndex.builder();
    ranges.forEach(merge::add);
    return new RegionRanges(region, ranges.size(), merge.build().ipv4Ranges());
  }

  public String region() {
    return region;
  }

  /** Prefix records the region was built from (before merging). */
  public int prefixes() {
    return prefixes;
  }

  /** Disjoint ranges after merging. */
  public int rangeCount() {
    return starts.length;
  }

  public long totalAddresses() {
    return cumulative[starts.length];
  }

  /** The merged ranges in ascending order. */
  public List<IpRange> ranges() {
    IpRange[] out = new IpRange[starts.length];
    for (int i = 0; i < starts.length; i++) {
      out[i] = IpRange.ipv4(starts[i], ends[i]);
    }
    return List.of(out);
  }

  /** Addresses of this region the index covers. */
  public long blockedAddresses(BlockIndex index) {
    long blocked = 0;
    for (int i = 0; i < starts.length; i++) {
      blocked += index.ipv4CoveredIn(starts[i], ends[i]);
    }
    return blocked;
  }

  public RegionExposure exposure(BlockIndex index) {
    return RegionExposure.of(region, totalAddresses(), blockedAddresses(index));
  }

  /**
   * The address at {@code offset} when the region's ranges are laid end to end: a uniform offset in
   * {@code [0, totalAddresses())} gives a draw weighted by prefix size.
   */
  public long addressAt(long offset) {
    if (offset < 0 || offset >= totalAddresses()) {
      throw new IndexOutOfBoundsException(
          "offset " + offset + " outside 0.." + (totalAddresses() - 1) + " of " + region);
    }
    int i = Arrays.binarySearch(cumulative, offset);
    // An exact hit is the first address of range i; otherwise the range is the one before the
    // insertion point.
    int range = i >= 0 ? i : -i - 2;
    return starts[range] + (offset - cumulative[range]);
  }

  /** Whether an IPv4 address (0..2^32-1) belongs to the region. */
  public boolean contains(long ip) {
    int i = Arrays.binarySearch(starts, ip);
    int range = i >= 0 ? i : -i - 2;
    return range >= 0 && ip <= ends[range];
  }
}
