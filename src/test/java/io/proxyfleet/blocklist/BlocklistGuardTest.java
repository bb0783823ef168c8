package io.proxyfleet.blocklist;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.block.ParsedBlocklist;
import io.proxyfleet.block.format.BlocklistFormat;
import io.proxyfleet.block.format.BlocklistParser;
import io.proxyfleet.testing.FeedServer;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlocklistGuardTest {

  static final BlocklistGuard DEFAULT = new BlocklistGuard(GuardSettings.DEFAULTS);

  static BlockIndex index(String... cidrs) {
    BlockIndex.Builder b = BlockIndex.builder();
    Arrays.stream(cidrs).forEach(c -> b.add(IpAddresses.parseRange(c)));
    return b.build();
  }

  static BlockIndex sample(String name) throws Exception {
    ParsedBlocklist p =
        BlocklistParser.parse(
            new ByteArrayInputStream(FeedServer.sample(name)), BlocklistFormat.IP_LIST, null);
    return p.index();
  }

  @Test
  void aFirstVersionThatBlocksEverythingIsHeld() {
    BlocklistGuard.Verdict v = DEFAULT.check(BlocklistGuard.Baseline.none(), index("0.0.0.0/0"));
    assertThat(v.held()).isTrue();
    assertThat(v.widestNewRange()).isEqualTo("0.0.0.0/0");
    assertThat(v.newIpv4Addresses()).isEqualTo(1L << 32);
    assertThat(v.reason())
        .contains("0.0.0.0/0 (4294967296 addresses")
        .contains("wider than /8")
        .contains("100.000% of IPv4");
  }

  @Test
  void aSlashEightPassesTheWidthCheckButASlashSevenDoesNot() {
    GuardSettings onlyWidth = new GuardSettings(8, Long.MAX_VALUE, Integer.MAX_VALUE, 0);
    assertThat(
            new BlocklistGuard(onlyWidth)
                .check(BlocklistGuard.Baseline.none(), index("10.0.0.0/8"))
                .held())
        .isFalse();
    assertThat(
            new BlocklistGuard(onlyWidth)
                .check(BlocklistGuard.Baseline.none(), index("10.0.0.0/7"))
                .held())
        .isTrue();
    // Adjacent /8s merge into one wider range: that is as wide as a /7 entry.
    assertThat(
            new BlocklistGuard(onlyWidth)
                .check(BlocklistGuard.Baseline.none(), index("10.0.0.0/8", "11.0.0.0/8"))
                .reason())
        .contains("10.0.0.0/7");
    // 0 turns the width check off.
    assertThat(
            new BlocklistGuard(new GuardSettings(0, Long.MAX_VALUE, Integer.MAX_VALUE, 0))
                .check(BlocklistGuard.Baseline.none(), index("0.0.0.0/0"))
                .held())
        .isFalse();
  }

  @Test
  void aWideRangeAlreadyInForceIsNotNew() {
    BlockIndex wide = index("10.0.0.0/7");
    BlocklistGuard.Verdict v =
        DEFAULT.check(BlocklistGuard.Baseline.of(wide), index("10.0.0.0/7", "192.0.2.0/24"));
    assertThat(v.held()).isFalse();
    assertThat(v.newIpv4Addresses()).isEqualTo(256);
  }

  @Test
  void newlyCoveredAddressesAboveTheLimitAreHeld() {
    GuardSettings s = new GuardSettings(0, 1_000_000, Integer.MAX_VALUE, 0);
    BlocklistGuard guard = new BlocklistGuard(s);
    BlockIndex before = index("20.0.0.0/12");
    // 20.0.0.0/11 adds exactly one /12 (1,048,576 new addresses) to what is in force.
    BlocklistGuard.Verdict v =
        guard.check(BlocklistGuard.Baseline.of(before), index("20.0.0.0/11"));
    assertThat(v.newIpv4Addresses()).isEqualTo(1_048_576);
    assertThat(v.held()).isTrue();
    assertThat(v.reason())
        .contains("newly covers 1048576 IPv4 addresses")
        .contains("more than 1000000");
    assertThat(
            guard
                .check(BlocklistGuard.Baseline.of(before), index("20.0.0.0/12", "30.0.0.0/13"))
                .held())
        .as("524,288 new")
        .isFalse();
  }

  @Test
  void growthBeyondTheFactorIsHeldOnlyAboveTheFloor() {
    GuardSettings s = new GuardSettings(0, Long.MAX_VALUE, 10, 1 << 20);
    BlocklistGuard guard = new BlocklistGuard(s);
    // Tiny list growing 256x but staying under the floor: allowed.
    assertThat(
            guard
                .check(BlocklistGuard.Baseline.of(index("1.2.3.0/24")), index("1.2.0.0/16"))
                .held())
        .isFalse();
    // 65,536 -> 2,097,152 (32x) crosses the floor: held.
    BlocklistGuard.Verdict v =
        guard.check(
            BlocklistGuard.Baseline.of(index("1.2.0.0/16")), index("1.2.0.0/16", "40.0.0.0/11"));
    assertThat(v.held()).isTrue();
    assertThat(v.reason())
        .contains("grows the list from 65536 to 2162688")
        .contains("more than 10x");
    // 9x growth above the floor: allowed.
    assertThat(
            guard
                .check(
                    BlocklistGuard.Baseline.of(index("40.0.0.0/11")),
                    index("40.0.0.0/11", "50.0.0.0/9"))
                .held())
        .isFalse();
    // First versions have nothing to grow from.
    assertThat(guard.check(BlocklistGuard.Baseline.none(), index("40.0.0.0/11")).held()).isFalse();
  }

  @Test
  void afterARestartOnlyTheSizeInForceIsKnown() {
    BlocklistGuard.Verdict v =
        DEFAULT.check(BlocklistGuard.Baseline.sizeOnly(1_000), index("60.0.0.0/24"));
    assertThat(v.newIpv4Addresses()).as("a shrink adds nothing").isZero();
    assertThat(v.held()).isFalse();
  }

  @Test
  void realListsPassTheDefaults() throws Exception {
    BlockIndex ipsum = sample("antifilter_ipsum.lst");
    BlockIndex zi2025 = sample("zi_ipv4_values_2025-10-01T1234Z.txt");
    assertThat(DEFAULT.check(BlocklistGuard.Baseline.none(), ipsum).held()).isFalse();
    assertThat(
            DEFAULT
                .check(
                    BlocklistGuard.Baseline.of(sample("zi_ipv4_values_2025-10-01T0623Z.txt")),
                    zi2025)
                .held())
        .as("two successive registry snapshots")
        .isFalse();
    // An empty list that gets its first real source (3.2 M addresses) is under the growth floor.
    assertThat(DEFAULT.check(BlocklistGuard.Baseline.of(BlockIndex.EMPTY), ipsum).held()).isFalse();
  }

  @Test
  void theApril2018WaveOnTopOfTheRegistryPassesTheDefaultsAndIsHeldOnlyByAStricterFactor()
      throws Exception {
    // The 13 AWS/Google CIDRs reported blocked on 16-17 April 2018, added to a registry snapshot.
    List<String> wave =
        List.of(
            "52.58.0.0/15",
            "18.196.0.0/15",
            "18.194.0.0/15",
            "18.184.0.0/15",
            "35.156.0.0/14",
            "52.0.0.0/11",
            "52.192.0.0/11",
            "54.160.0.0/12",
            "34.192.0.0/10",
            "35.184.0.0/13",
            "35.192.0.0/12",
            "35.208.0.0/12",
            "35.224.0.0/12");
    BlockIndex registry = sample("zi_ipv4_values_2022-07-20T0509Z.txt");
    BlockIndex.Builder b = BlockIndex.builder().addAll(registry);
    wave.forEach(c -> b.add(IpAddresses.parseRange(c)));
    BlockIndex withWave = b.build();
    // A real blockade (about 57x growth) is exactly what fleets must react to without a human.
    BlocklistGuard.Verdict defaults = DEFAULT.check(BlocklistGuard.Baseline.of(registry), withWave);
    assertThat(defaults.newIpv4Addresses()).isBetween(13_000_000L, 14_000_000L);
    assertThat(defaults.held()).isFalse();
    GuardSettings strict =
        new GuardSettings(
            GuardSettings.DEFAULTS.minIpv4Prefix(),
            GuardSettings.DEFAULTS.maxNewIpv4Addresses(),
            10,
            GuardSettings.DEFAULTS.growthFloor());
    BlocklistGuard.Verdict v =
        new BlocklistGuard(strict).check(BlocklistGuard.Baseline.of(registry), withWave);
    assertThat(v.reason())
        .doesNotContain("wider than")
        .doesNotContain("newly covers")
        .contains("more than 10x");
    assertThat(v.held()).isTrue();
  }

  @Test
  void aShrinkBeyondMaxShrinkPercentIsHeldOnlyWhenTheSourcesCausedIt() {
    BlocklistGuard guard = new BlocklistGuard(GuardSettings.DEFAULTS);
    BlocklistGuard.Baseline big = BlocklistGuard.Baseline.of(index("10.0.0.0/16"));
    BlocklistGuard.Verdict emptied = guard.check(big, index(), true);
    assertThat(emptied.held()).isTrue();
    assertThat(emptied.reason())
        .contains("shrinks the list from 65536 to 0")
        .contains("spec.guard.maxShrinkPercent");
    assertThat(guard.check(big, index("10.0.0.0/17"), true).held())
        .as("exactly 50%% is not more than 50%%")
        .isFalse();
    assertThat(guard.check(big, index("10.0.0.0/18"), true).held()).isTrue();
    assertThat(guard.check(big, index(), false).held())
        .as("an edit by hand is never held for shrinking")
        .isFalse();
    assertThat(guard.check(BlocklistGuard.Baseline.sizeOnly(65536), index(), true).held())
        .as("after a restart")
        .isFalse();
    GuardSettings off =
        new GuardSettings(
            8,
            GuardSettings.DEFAULTS.maxNewIpv4Addresses(),
            100,
            GuardSettings.DEFAULTS.growthFloor(),
            100);
    assertThat(new BlocklistGuard(off).check(big, index(), true).held()).isFalse();
  }
}
