package io.proxyfleet.block;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * An immutable set of blocked IPv4 and IPv6 ranges, merged and sorted for binary search.
 *
 * <p>Immutable so it can be swapped atomically while lookups run: a rebuild never blocks a lookup.
 * Ranges are kept in primitive arrays (no object per range) so a registry-sized list stays small.
 */
public final class BlockIndex {

  public static final BlockIndex EMPTY = new Builder().build();

  private final long[] v4Start;
  private final long[] v4End;
  // IPv6: parallel arrays of unsigned 128-bit values as (hi, lo).
  private final long[] v6StartHi;
  private final long[] v6StartLo;
  private final long[] v6EndHi;
  private final long[] v6EndLo;
  private final long ipv4Addresses;

  private BlockIndex(long[] v4s, long[] v4e, long[] sHi, long[] sLo, long[] eHi, long[] eLo) {
    this.v4Start = v4s;
    this.v4End = v4e;
    this.v6StartHi = sHi;
    this.v6StartLo = sLo;
    this.v6EndHi = eHi;
    this.v6EndLo = eLo;
    long total = 0;
    for (int i = 0; i < v4s.length; i++) {
      total += v4e[i] - v4s[i] + 1;
    }
    this.ipv4Addresses = total;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** IPv4 addresses covered after merging. */
  public long ipv4Addresses() {
    return ipv4Addresses;
  }

  /** Merged ranges, IPv4 plus IPv6. */
  public int rangeCount() {
    return v4Start.length + v6StartHi.length;
  }

  public boolean isEmpty() {
    return rangeCount() == 0;
  }

  /** Whether an IPv4 address (as 0..2^32-1) is blocked. */
  public boolean containsIpv4(long ip) {
    return findIpv4(ip) >= 0;
  }

  /** The merged range containing an address, if any. Unparseable input is never blocked. */
  public Optional<IpRange> match(String ip) {
    if (ip == null || ip.isEmpty()) {
      return Optional.empty();
    }
    try {
      if (ip.indexOf(':') < 0) {
        int i = findIpv4(IpAddresses.parseIpv4(ip));
        return i < 0 ? Optional.empty() : Optional.of(IpRange.ipv4(v4Start[i], v4End[i]));
      }
      long[] v = IpAddresses.parseIpv6(ip);
      int i = findIpv6(v[0], v[1]);
      return i < 0
          ? Optional.empty()
          : Optional.of(new IpRange(true, v6StartHi[i], v6StartLo[i], v6EndHi[i], v6EndLo[i]));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * How many IPv4 addresses in {@code [start, end]} this index covers: the overlap used to compute a
   * cloud region's blocked fraction. Logarithmic in the ranges plus linear in those overlapping.
   */
  public long ipv4CoveredIn(long start, long end) {
    if (end < start) {
      return 0;
    }
    // First merged range that could overlap: the one containing start, else the next one.
    int i = findIpv4(start);
    if (i < 0) {
      int lo = 0;
      int hi = v4Start.length;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (v4Start[mid] < start) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      i = lo;
    }
    long covered = 0;
    for (; i < v4Start.length && v4Start[i] <= end; i++) {
      covered += Math.min(end, v4End[i]) - Math.max(start, v4Start[i]) + 1;
    }
    return covered;
  }

  /** The merged IPv4 ranges in ascending order (for reports and tools; lookups use {@link #match}). */
  public List<IpRange> ipv4Ranges() {
    List<IpRange> ranges = new ArrayList<>(v4Start.length);
    for (int i = 0; i < v4Start.length; i++) {
      ranges.add(IpRange.ipv4(v4Start[i], v4End[i]));
    }
    return ranges;
  }

  private int findIpv4(long ip) {
    // Last range whose start <= ip.
    int lo = 0;
    int hi = v4Start.length - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (v4Start[mid] <= ip) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && v4End[found] >= ip ? found : -1;
  }

  private int findIpv6(long hi, long lo) {
    int a = 0;
    int b = v6StartHi.length - 1;
    int found = -1;
    while (a <= b) {
      int mid = (a + b) >>> 1;
      if (compare(v6StartHi[mid], v6StartLo[mid], hi, lo) <= 0) {
        found = mid;
        a = mid + 1;
      } else {
        b = mid - 1;
      }
    }
    return found >= 0 && compare(v6EndHi[found], v6EndLo[found], hi, lo) >= 0 ? found : -1;
  }

  private static int compare(long aHi, long aLo, long bHi, long bLo) {
    int c = Long.compareUnsigned(aHi, bHi);
    return c != 0 ? c : Long.compareUnsigned(aLo, bLo);
  }

  /** Collects ranges in any order, overlapping or not; {@link #build()} merges them. */
  public static final class Builder {
    private final List<IpRange> v6 = new ArrayList<>();
    private long[] v4s = new long[16];
    private long[] v4e = new long[16];
    private int v4n;

    public Builder add(IpRange r) {
      if (r.ipv6()) {
        v6.add(r);
      } else {
        if (v4n == v4s.length) {
          v4s = Arrays.copyOf(v4s, v4n * 2);
          v4e = Arrays.copyOf(v4e, v4n * 2);
        }
        v4s[v4n] = r.startLo();
        v4e[v4n] = r.endLo();
        v4n++;
      }
      return this;
    }

    public Builder addAll(BlockIndex other) {
      for (int i = 0; i < other.v4Start.length; i++) {
        add(IpRange.ipv4(other.v4Start[i], other.v4End[i]));
      }
      for (int i = 0; i < other.v6StartHi.length; i++) {
        add(new IpRange(true, other.v6StartHi[i], other.v6StartLo[i], other.v6EndHi[i], other.v6EndLo[i]));
      }
      return this;
    }

    public BlockIndex build() {
      // Sort IPv4 by start: pack (start, end) into one long each to sort without boxing. Starts
      // reach 2^32-1, so the sign bit is flipped to make the signed sort an unsigned one.
      long[] packed = new long[v4n];
      for (int i = 0; i < v4n; i++) {
        packed[i] = ((v4s[i] << 32) | v4e[i]) ^ Long.MIN_VALUE;
      }
      Arrays.sort(packed);
      for (int i = 0; i < v4n; i++) {
        packed[i] ^= Long.MIN_VALUE;
      }
      long[] ms = new long[v4n];
      long[] me = new long[v4n];
      int m = 0;
      for (int i = 0; i < v4n; i++) {
        long s = packed[i] >>> 32;
        long e = packed[i] & 0xFFFFFFFFL;
        if (m > 0 && s <= me[m - 1] + 1) {
          me[m - 1] = Math.max(me[m - 1], e);
        } else {
          ms[m] = s;
          me[m] = e;
          m++;
        }
      }
      List<IpRange> sorted = new ArrayList<>(v6);
      sorted.sort((x, y) -> compare(x.startHi(), x.startLo(), y.startHi(), y.startLo()));
      List<long[]> merged = new ArrayList<>();
      for (IpRange r : sorted) {
        if (!merged.isEmpty()) {
          long[] last = merged.get(merged.size() - 1);
          // Adjacent or overlapping: start <= last.end + 1 (guarding the +1 overflow at ::ffff…).
          boolean lastIsMax = last[2] == -1L && last[3] == -1L;
          long nextHi = last[3] == -1L ? last[2] + 1 : last[2];
          long nextLo = last[3] + 1;
          if (lastIsMax || compare(r.startHi(), r.startLo(), nextHi, nextLo) <= 0) {
            if (compare(r.endHi(), r.endLo(), last[2], last[3]) > 0) {
              last[2] = r.endHi();
              last[3] = r.endLo();
            }
            continue;
          }
        }
        merged.add(new long[] {r.startHi(), r.startLo(), r.endHi(), r.endLo()});
      }
      long[] sHi = new long[merged.size()];
      long[] sLo = new long[merged.size()];
      long[] eHi = new long[merged.size()];
      long[] eLo = new long[merged.size()];
      for (int i = 0; i < merged.size(); i++) {
        long[] r = merged.get(i);
        sHi[i] = r[0];
        sLo[i] = r[1];
        eHi[i] = r[2];
        eLo[i] = r[3];
      }
      return new BlockIndex(Arrays.copyOf(ms, m), Arrays.copyOf(me, m), sHi, sLo, eHi, eLo);
    }
  }
}
