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

  /**
   * Below this many IPv4 ranges a plain binary search is as fast as the bucket table, and small
   * inline lists should not each carry its 256 KiB.
   */
  private static final int BUCKET_THRESHOLD = 1024;

  // IPv4 ranges packed as (start << 32) | end, ascending: start and end share a cache line, and a
  // registry-sized list is one array of a few hundred KiB.
  private final long[] v4;
  // bucket[k] = number of ranges starting below k << 16: narrows a lookup to the few ranges that
  // start in the address's /16, so a registry-sized list is searched in two or three steps.
  private final int[] v4Bucket;
  // IPv6: parallel arrays of unsigned 128-bit values as (hi, lo).
  private final long[] v6StartHi;
  private final long[] v6StartLo;
  private final long[] v6EndHi;
  private final long[] v6EndLo;
  private final long ipv4Addresses;
  private final int ipv4Values;
  private final int ipv6Values;
  private final int distinctIpv4Values;
  private final int distinctIpv6Values;

  private BlockIndex(
      long[] v4,
      long[] sHi,
      long[] sLo,
      long[] eHi,
      long[] eLo,
      int ipv4Values,
      int ipv6Values,
      int distinctIpv4Values,
      int distinctIpv6Values) {
    this.v4 = v4;
    this.v6StartHi = sHi;
    this.v6StartLo = sLo;
    this.v6EndHi = eHi;
    this.v6EndLo = eLo;
    this.ipv4Values = ipv4Values;
    this.ipv6Values = ipv6Values;
    this.distinctIpv4Values = distinctIpv4Values;
    this.distinctIpv6Values = distinctIpv6Values;
    long total = 0;
    for (int i = 0; i < v4.length; i++) {
      total += end(i) - start(i) + 1;
    }
    this.ipv4Addresses = total;
    if (v4.length >= BUCKET_THRESHOLD) {
      int[] bucket = new int[(1 << 16) + 1];
      int r = 0;
      for (int k = 0; k <= 1 << 16; k++) {
        long base = (long) k << 16;
        while (r < v4.length && start(r) < base) {
          r++;
        }
        bucket[k] = r;
      }
      this.v4Bucket = bucket;
    } else {
      this.v4Bucket = null;
    }
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
    return v4.length + v6StartHi.length;
  }

  /** Merged IPv4 ranges. */
  public int ipv4RangeCount() {
    return v4.length;
  }

  /** Merged IPv6 ranges. */
  public int ipv6RangeCount() {
    return v6StartHi.length;
  }

  /** Values (addresses or CIDRs) this index was built from, IPv4 plus IPv6, duplicates included. */
  public int values() {
    return ipv4Values + ipv6Values;
  }

  /** IPv6 values this index was built from, duplicates included. */
  public int ipv6Values() {
    return ipv6Values;
  }

  /**
   * Distinct values this index was built from: two values are the same when they denote the same
   * range ({@code 10.1.2.3/8} and {@code 10.0.0.0/8}, or two spellings of one IPv6 address).
   */
  public int distinctValues() {
    return distinctIpv4Values + distinctIpv6Values;
  }

  /** Distinct IPv6 values this index was built from, in the sense of {@link #distinctValues()}. */
  public int distinctIpv6Values() {
    return distinctIpv6Values;
  }

  public boolean isEmpty() {
    return rangeCount() == 0;
  }

  /** Whether an IPv4 address (as 0..2^32-1) is blocked. Allocation-free. */
  public boolean containsIpv4(long ip) {
    return findIpv4(ip) >= 0;
  }

  /**
   * The position of the merged IPv4 range containing {@code ip} (0..2^32-1), or -1: the
   * allocation-free match path; read the range with {@link #ipv4RangeStart} and {@link
   * #ipv4RangeEnd}.
   */
  public int findIpv4(long ip) {
    // Last range whose start <= ip.
    int lo;
    int hi;
    if (v4Bucket != null) {
      int k = (int) (ip >>> 16) & 0xFFFF;
      lo = Math.max(0, v4Bucket[k] - 1);
      hi = v4Bucket[k + 1] - 1;
    } else {
      lo = 0;
      hi = v4.length - 1;
    }
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if ((v4[mid] >>> 32) <= ip) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && (v4[found] & 0xFFFFFFFFL) >= ip ? found : -1;
  }

  /** First address of the merged IPv4 range at {@code position} (from {@link #findIpv4}). */
  public long ipv4RangeStart(int position) {
    return start(position);
  }

  /** Last address of the merged IPv4 range at {@code position} (from {@link #findIpv4}). */
  public long ipv4RangeEnd(int position) {
    return end(position);
  }

  /** The merged range containing an address, if any. Unparseable input is never blocked. */
  public Optional<IpRange> match(String ip) {
    if (ip == null || ip.isEmpty()) {
      return Optional.empty();
    }
    try {
      if (ip.indexOf(':') < 0) {
        int i = findIpv4(IpAddresses.parseIpv4(ip));
        return i < 0 ? Optional.empty() : Optional.of(IpRange.ipv4(start(i), end(i)));
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
   * How many IPv4 addresses in {@code [start, end]} this index covers: the overlap used to compute
   * a cloud region's blocked fraction. Logarithmic in the ranges plus linear in those overlapping.
   */
  public long ipv4CoveredIn(long start, long end) {
    if (end < start) {
      return 0;
    }
    // First merged range that could overlap: the one containing start, else the next one.
    int i = findIpv4(start);
    if (i < 0) {
      int lo = 0;
      int hi = v4.length;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (start(mid) < start) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      i = lo;
    }
    long covered = 0;
    for (; i < v4.length && start(i) <= end; i++) {
      covered += Math.min(end, end(i)) - Math.max(start, start(i)) + 1;
    }
    return covered;
  }

  /**
   * The merged IPv4 ranges in ascending order (for reports and tools; lookups use {@link #match}).
   */
  public List<IpRange> ipv4Ranges() {
    List<IpRange> ranges = new ArrayList<>(v4.length);
    for (int i = 0; i < v4.length; i++) {
      ranges.add(IpRange.ipv4(start(i), end(i)));
    }
    return ranges;
  }

  /** The merged IPv6 ranges in ascending order (for reports and tools). */
  public List<IpRange> ipv6Ranges() {
    List<IpRange> ranges = new ArrayList<>(v6StartHi.length);
    for (int i = 0; i < v6StartHi.length; i++) {
      ranges.add(new IpRange(true, v6StartHi[i], v6StartLo[i], v6EndHi[i], v6EndLo[i]));
    }
    return ranges;
  }

  private long start(int i) {
    return v4[i] >>> 32;
  }

  private long end(int i) {
    return v4[i] & 0xFFFFFFFFL;
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
    // IPv4 ranges packed as in the index, unsorted.
    /** Buffers smaller than this just grow: sorting them saves nothing worth the time. */
    private static final int DEDUPLICATE_FROM = 1 << 16;

    private long[] v4 = new long[16];
    private int v4n;
    // Every IPv4 value added, repeats included (v4n counts the buffer, which repeats may leave).
    private int v4Values;
    // IPv6 ranges as consecutive (startHi, startLo, endHi, endLo) quadruples.
    private long[] v6 = new long[16];
    private int v6n;

    public Builder add(IpRange r) {
      if (r.ipv6()) {
        return addIpv6(r.startHi(), r.startLo(), r.endHi(), r.endLo());
      }
      return addIpv4(r.startLo(), r.endLo());
    }

    /** Adds the IPv4 range [start, end] (0..2^32-1, start <= end) without allocating an object. */
    public Builder addIpv4(long start, long end) {
      if (v4n == v4.length) {
        // Drop exact repeats before growing: a feed repeating one line (a gzip bomb of "1.2.3.4")
        // must not grow the buffer at all; a real list, nearly free of repeats, grows as before.
        if (v4n < DEDUPLICATE_FROM || dropRepeatedIpv4() > v4.length / 2) {
          v4 = Arrays.copyOf(v4, v4.length * 2);
        }
      }
      v4[v4n] = (start << 32) | end;
      v4n++;
      v4Values++;
      return this;
    }

    /** Sorts the buffered IPv4 values and keeps one of each; returns how many are left. */
    private int dropRepeatedIpv4() {
      // Sorting the sign-flipped values orders starts as unsigned, as build() does.
      for (int i = 0; i < v4n; i++) {
        v4[i] ^= Long.MIN_VALUE;
      }
      Arrays.sort(v4, 0, v4n);
      int kept = 0;
      for (int i = 0; i < v4n; i++) {
        if (kept == 0 || v4[i] != v4[kept - 1]) {
          v4[kept++] = v4[i];
        }
      }
      for (int i = 0; i < kept; i++) {
        v4[i] ^= Long.MIN_VALUE;
      }
      v4n = kept;
      return kept;
    }

    /** Adds the IPv6 range [start, end] given as unsigned 128-bit (hi, lo) pairs. */
    public Builder addIpv6(long startHi, long startLo, long endHi, long endLo) {
      if (4 * v6n == v6.length) {
        v6 = Arrays.copyOf(v6, v6.length * 2);
      }
      int at = 4 * v6n;
      v6[at] = startHi;
      v6[at + 1] = startLo;
      v6[at + 2] = endHi;
      v6[at + 3] = endLo;
      v6n++;
      return this;
    }

    /** Adds another index's merged ranges (its ranges become this builder's values). */
    public Builder addAll(BlockIndex other) {
      for (int i = 0; i < other.v4.length; i++) {
        addIpv4(other.start(i), other.end(i));
      }
      for (int i = 0; i < other.v6StartHi.length; i++) {
        addIpv6(other.v6StartHi[i], other.v6StartLo[i], other.v6EndHi[i], other.v6EndLo[i]);
      }
      return this;
    }

    public BlockIndex build() {
      // Sort the packed IPv4 ranges by start without boxing. Starts reach 2^32-1, so the sign bit
      // is flipped to make the signed sort an unsigned one.
      long[] packed = new long[v4n];
      for (int i = 0; i < v4n; i++) {
        packed[i] = v4[i] ^ Long.MIN_VALUE;
      }
      Arrays.sort(packed);
      long[] ms = new long[v4n];
      long[] me = new long[v4n];
      int m = 0;
      int distinct4 = 0;
      for (int i = 0; i < v4n; i++) {
        if (i == 0 || packed[i] != packed[i - 1]) {
          distinct4++;
        }
        long p = packed[i] ^ Long.MIN_VALUE;
        long s = p >>> 32;
        long e = p & 0xFFFFFFFFL;
        if (m > 0 && s <= me[m - 1] + 1) {
          me[m - 1] = Math.max(me[m - 1], e);
        } else {
          ms[m] = s;
          me[m] = e;
          m++;
        }
      }

      // IPv6 lists are a small share of real lists: sorting boxed positions is fine here.
      Integer[] order = new Integer[v6n];
      for (int i = 0; i < v6n; i++) {
        order[i] = i;
      }
      long[] q = v6;
      Arrays.sort(
          order,
          (x, y) -> {
            int c = compare(q[4 * x], q[4 * x + 1], q[4 * y], q[4 * y + 1]);
            return c != 0 ? c : compare(q[4 * x + 2], q[4 * x + 3], q[4 * y + 2], q[4 * y + 3]);
          });
      long[] sHi = new long[v6n];
      long[] sLo = new long[v6n];
      long[] eHi = new long[v6n];
      long[] eLo = new long[v6n];
      int n = 0;
      int distinct6 = 0;
      for (int k = 0; k < v6n; k++) {
        int at = 4 * order[k];
        long rsHi = q[at];
        long rsLo = q[at + 1];
        long reHi = q[at + 2];
        long reLo = q[at + 3];
        if (k == 0) {
          distinct6++;
        } else {
          int prev = 4 * order[k - 1];
          if (rsHi != q[prev]
              || rsLo != q[prev + 1]
              || reHi != q[prev + 2]
              || reLo != q[prev + 3]) {
            distinct6++;
          }
        }
        if (n > 0) {
          // Adjacent or overlapping: start <= last.end + 1 (guarding the +1 overflow at ffff:...).
          long lastHi = eHi[n - 1];
          long lastLo = eLo[n - 1];
          boolean lastIsMax = lastHi == -1L && lastLo == -1L;
          long nextHi = lastLo == -1L ? lastHi + 1 : lastHi;
          long nextLo = lastLo + 1;
          if (lastIsMax || compare(rsHi, rsLo, nextHi, nextLo) <= 0) {
            if (compare(reHi, reLo, lastHi, lastLo) > 0) {
              eHi[n - 1] = reHi;
              eLo[n - 1] = reLo;
            }
            continue;
          }
        }
        sHi[n] = rsHi;
        sLo[n] = rsLo;
        eHi[n] = reHi;
        eLo[n] = reLo;
        n++;
      }
      long[] merged = new long[m];
      for (int i = 0; i < m; i++) {
        merged[i] = (ms[i] << 32) | me[i];
      }
      return new BlockIndex(
          merged,
          Arrays.copyOf(sHi, n),
          Arrays.copyOf(sLo, n),
          Arrays.copyOf(eHi, n),
          Arrays.copyOf(eLo, n),
          v4Values,
          v6n,
          distinct4,
          distinct6);
    }
  }
}
