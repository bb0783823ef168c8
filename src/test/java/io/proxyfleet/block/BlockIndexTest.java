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
    assertThat(index.match("2a05:d014:1fff::1")).map(IpRange::describe).contains("2a05:d014:0:0:0:0:0:0/35");
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
        long ip = random.nextBoolean() ? random.nextLong(0, 1 << 17) : random.nextLong(0xFFFE0000L, 1L << 32);
        boolean expected = ranges.stream().anyMatch(r -> r[0] <= ip && ip <= r[1]);
        assertThat(index.containsIpv4(ip)).as("round %d ip %s", round, IpAddresses.formatIpv4(ip)).isEqualTo(expected);
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
    BlockIndex index = BlockIndex.builder()
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
}
