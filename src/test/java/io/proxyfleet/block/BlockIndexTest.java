package io.proxyfleet.block;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BlockIndexTest {

  @Test
  void mergesOverlappingAndAdjacentRanges() {
    BlockIndex index =
        BlockIndex.builder()
            .add(IpAddresses.parseRange("10.0.0.0/25"))
            .add(IpAddresses.parseRange("10.0.0.128/25"))
            .add(IpAddresses.parseRange("10.0.0.7"))
            .add(IpAddresses.parseRange("192.168.0.0/16"))
            .build();
    assertThat(index.rangeCount()).isEqualTo(2);
    assertThat(index.ipv4Addresses()).isEqualTo(256 + 65536);
    assertThat(index.match("10.0.0.200")).map(IpRange::describe).contains("10.0.0.0/24");
    assertThat(index.match("10.0.1.0")).isEmpty();
  }

  @Test
  void answersIpv6AndIgnoresGarbage() {
    BlockIndex index =
        BlockIndex.builder()
            .add(IpAddresses.parseRange("2a05:d014::/36"))
            .add(IpAddresses.parseRange("2a05:d014:1000::/36"))
            .build();
    assertThat(index.rangeCount()).isEqualTo(1);
    assertThat(index.match("2a05:d014:1fff::1"))
        .map(IpRange::describe)
        .contains("2a05:d014:0:0:0:0:0:0/35");
    assertThat(index.match("2a05:d015::1")).isEmpty();
    assertThat(index.match("not-an-ip")).isEmpty();
    assertThat(index.match(null)).isEmpty();
  }

  @Test
  void wholeAddressSpaceDoesNotOverflow() {
    BlockIndex index =
        BlockIndex.builder()
            .add(IpAddresses.parseRange("0.0.0.0/0"))
            .add(IpAddresses.parseRange("::/0"))
            .add(IpAddresses.parseRange("ffff::/16"))
            .build();
    assertThat(index.ipv4Addresses()).isEqualTo(1L << 32);
    assertThat(index.rangeCount()).isEqualTo(2);
    assertThat(index.match("255.255.255.255")).isPresent();
    assertThat(index.match("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).isPresent();
  }

  /** Property: for random ranges and random probes, the index agrees with a linear scan. */
  @Test
  void agreesWithALinearScanOnRandomInput() {
    SplittableRandom random = new SplittableRandom(42);
    for (int round = 0; round < 50; round++) {
      List<long[]> ranges = new ArrayList<>();
      BlockIndex.Builder builder = BlockIndex.builder();
      int n = random.nextInt(1, 200);
      for (int i = 0; i < n; i++) {
        // Cluster addresses in a small space so overlaps and adjacency happen often.
        long base = random.nextLong(0, 1 << 16) + (random.nextBoolean() ? 0 : 0xFFFF0000L);
        int prefix = random.nextInt(22, 33);
        IpRange r = IpAddresses.parseRange(IpAddresses.formatIpv4(base) + "/" + prefix);
        ranges.add(new long[] {r.startLo(), r.endLo()});
        builder.add(r);
      }
      BlockIndex index = builder.build();
      for (int probe = 0; probe < 2000; probe++) {
        long ip =
            random.nextBoolean()
                ? random.nextLong(0, 1 << 17)
                : random.nextLong(0xFFFE0000L, 1L << 32);
        boolean expected = ranges.stream().anyMatch(r -> r[0] <= ip && ip <= r[1]);
        assertThat(index.containsIpv4(ip))
            .as("round %d ip %s", round, IpAddresses.formatIpv4(ip))
            .isEqualTo(expected);
      }
      long covered = 0;
      for (long ip = 0; ip < (1 << 17); ip++) {
        final long x = ip;
        if (ranges.stream().anyMatch(r -> r[0] <= x && x <= r[1])) covered++;
      }
      for (long ip = 0xFFFE0000L; ip < (1L << 32); ip++) {
        if (index.containsIpv4(ip)) covered++;
      }
      assertThat(index.ipv4Addresses()).isEqualTo(covered);
    }
  }

  @Test
  void countsCoveredAddressesInAnInterval() {
    BlockIndex index =
        BlockIndex.builder()
            .add(IpAddresses.parseRange("10.0.0.0/24"))
            .add(IpAddresses.parseRange("10.0.2.0/24"))
            .add(IpAddresses.parseRange("10.0.4.0/23"))
            .build();
    long base = IpAddresses.parseIpv4("10.0.0.0");
    assertThat(index.ipv4CoveredIn(base, base + 0xFFFF)).isEqualTo(256 + 256 + 512);
    assertThat(index.ipv4CoveredIn(base + 128, base + 2 * 256 + 9)).isEqualTo(128 + 10);
    assertThat(index.ipv4CoveredIn(base + 256, base + 511)).isZero();
    assertThat(index.ipv4CoveredIn(base + 5 * 256 + 255, base + 5 * 256 + 255)).isEqualTo(1);
    assertThat(index.ipv4CoveredIn(base + 9, base + 3)).isZero();
    java.util.Random random = new java.util.Random(7);
    for (int n = 0; n < 500; n++) {
      long a = base + random.nextInt(7 * 256);
      long b = a + random.nextInt(3 * 256);
      long expected = 0;
      for (long ip = a; ip <= b; ip++) {
        expected += index.containsIpv4(ip) ? 1 : 0;
      }
      assertThat(index.ipv4CoveredIn(a, b)).as("[%d, %d]", a, b).isEqualTo(expected);
    }
  }

  /**
   * Property: lists large enough to use the /16 bucket table, with ranges pinned to both ends of
   * the IPv4 space, agree with a reference built from a TreeMap of unmerged ranges.
   */
  @Test
  void bucketedLookupsAgreeWithAReferenceIncludingTheEdgesOfTheAddressSpace() {
    SplittableRandom random = new SplittableRandom(7);
    for (int round = 0; round < 8; round++) {
      java.util.TreeMap<Long, Long> reference = new java.util.TreeMap<>();
      BlockIndex.Builder builder = BlockIndex.builder();
      int n = random.nextInt(2000, 6000);
      for (int i = 0; i < n; i++) {
        long start;
        switch (random.nextInt(4)) {
          case 0 -> start = random.nextLong(0, 1 << 20); // near 0.0.0.0
          case 1 -> start = (1L << 32) - random.nextLong(1, 1 << 20); // near 255.255.255.255
          default -> start = random.nextLong(0, 1L << 32);
        }
        int prefix = random.nextInt(4) == 0 ? random.nextInt(20, 33) : 32;
        IpRange r = IpAddresses.parseRange(IpAddresses.formatIpv4(start) + "/" + prefix);
        builder.addIpv4(r.startLo(), r.endLo());
        reference.merge(r.startLo(), r.endLo(), Math::max);
      }
      builder
          .add(IpAddresses.parseRange("0.0.0.0/32"))
          .add(IpAddresses.parseRange("255.255.255.255"));
      reference.merge(0L, 0L, Math::max);
      reference.merge(0xFFFFFFFFL, 0xFFFFFFFFL, Math::max);
      BlockIndex index = builder.build();
      assertThat(index.ipv4RangeCount()).isGreaterThanOrEqualTo(1024); // the bucketed path

      long[] probes = new long[5_000];
      for (int i = 0; i < probes.length; i++) {
        probes[i] =
            switch (i % 5) {
              case 0 -> random.nextLong(0, 1L << 32);
              case 1 -> random.nextLong(0, 1 << 20);
              case 2 -> (1L << 32) - random.nextLong(1, 1 << 20);
              default -> {
                // On and next to a random range's boundaries, where off-by-one errors live.
                Long key = reference.floorKey(random.nextLong(0, 1L << 32));
                long base = key == null ? 0 : (random.nextBoolean() ? key : reference.get(key));
                yield Math.max(0, Math.min(0xFFFFFFFFL, base + random.nextInt(-1, 2)));
              }
            };
      }
      probes[0] = 0;
      probes[1] = 0xFFFFFFFFL;
      for (long ip : probes) {
        // No range is wider than a /20, so only ranges starting at most 2^12 below can cover ip.
        boolean expected =
            reference.subMap(ip - (1L << 12), true, ip, true).values().stream()
                .anyMatch(end -> end >= ip);
        int position = index.findIpv4(ip);
        assertThat(position >= 0)
            .as("round %d ip %s", round, IpAddresses.formatIpv4(ip))
            .isEqualTo(expected);
        assertThat(index.containsIpv4(ip)).isEqualTo(expected);
        if (expected) {
          assertThat(index.ipv4RangeStart(position)).isLessThanOrEqualTo(ip);
          assertThat(index.ipv4RangeEnd(position)).isGreaterThanOrEqualTo(ip);
          assertThat(index.match(IpAddresses.formatIpv4(ip)))
              .map(IpRange::startLo)
              .contains(index.ipv4RangeStart(position));
        }
      }
    }
  }

  /** Property: IPv6 ranges, clustered near :: and ffff:..., agree with a linear scan. */
  @Test
  void ipv6AgreesWithALinearScanIncludingTheEdges() {
    SplittableRandom random = new SplittableRandom(11);
    for (int round = 0; round < 40; round++) {
      List<long[]> ranges = new ArrayList<>();
      BlockIndex.Builder builder = BlockIndex.builder();
      int n = random.nextInt(1, 150);
      for (int i = 0; i < n; i++) {
        long[] address = randomIpv6(random);
        int prefix = random.nextInt(100, 129);
        IpRange r =
            IpAddresses.parseRange(IpAddresses.formatIpv6(address[0], address[1]) + "/" + prefix);
        ranges.add(new long[] {r.startHi(), r.startLo(), r.endHi(), r.endLo()});
        builder.add(r);
      }
      if (round % 4 == 0) {
        builder.add(IpAddresses.parseRange("::"));
        ranges.add(new long[] {0, 0, 0, 0});
        builder.add(IpAddresses.parseRange("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
        ranges.add(new long[] {-1, -1, -1, -1});
      }
      BlockIndex index = builder.build();
      for (int probe = 0; probe < 1000; probe++) {
        long[] a =
            probe == 0 ? new long[] {0, 0} : probe == 1 ? new long[] {-1, -1} : randomIpv6(random);
        boolean expected =
            ranges.stream()
                .anyMatch(
                    r -> cmp(r[0], r[1], a[0], a[1]) <= 0 && cmp(a[0], a[1], r[2], r[3]) <= 0);
        String text = IpAddresses.formatIpv6(a[0], a[1]);
        assertThat(index.match(text).isPresent())
            .as("round %d ip %s", round, text)
            .isEqualTo(expected);
      }
      // Distinct values: the same range added twice counts once.
      long distinct = ranges.stream().map(java.util.Arrays::toString).distinct().count();
      assertThat(index.distinctIpv6Values()).isEqualTo(distinct);
      assertThat(index.ipv6Values()).isEqualTo(ranges.size());
    }
  }

  @Test
  void countsValuesAndDistinctValuesBeforeMerging() {
    BlockIndex index =
        BlockIndex.builder()
            .add(IpAddresses.parseRange("10.0.0.0/8"))
            .add(IpAddresses.parseRange("10.1.2.3/8")) // the same range once host bits are masked
            .add(IpAddresses.parseRange("10.0.0.1"))
            .add(IpAddresses.parseRange("2001:db8::1"))
            .add(IpAddresses.parseRange("2001:0db8:0:0::1"))
            .build();
    assertThat(index.values()).isEqualTo(5);
    assertThat(index.distinctValues()).isEqualTo(3);
    assertThat(index.ipv6Values()).isEqualTo(2);
    assertThat(index.distinctIpv6Values()).isEqualTo(1);
    assertThat(index.rangeCount()).isEqualTo(2);
    assertThat(BlockIndex.EMPTY.findIpv4(0)).isEqualTo(-1);
    assertThat(BlockIndex.EMPTY.containsIpv4(0xFFFFFFFFL)).isFalse();
  }

  private static long[] randomIpv6(SplittableRandom random) {
    // Low and high ends of the space, so ranges overlap and touch :: and ffff:....
    long lo = random.nextLong(0, 1 << 12);
    return switch (random.nextInt(3)) {
      case 0 -> new long[] {0, lo};
      case 1 -> new long[] {-1L, -1L - lo};
      default -> new long[] {random.nextLong(), random.nextLong()};
    };
  }

  private static int cmp(long aHi, long aLo, long bHi, long bLo) {
    int c = Long.compareUnsigned(aHi, bHi);
    return c != 0 ? c : Long.compareUnsigned(aLo, bLo);
  }
}
