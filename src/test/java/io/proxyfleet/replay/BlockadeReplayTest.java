package io.proxyfleet.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.ranges.CloudRangeParser;
import io.proxyfleet.ranges.CloudRanges;
import io.proxyfleet.ranges.RangePublisher;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * Replays small enough to work out by hand. Where the answer depends on which address is drawn, the
 * cloud's randomness is a script of offsets into the region's space; elsewhere every possible draw
 * gives the same answer.
 */
class BlockadeReplayTest {

  static final Instant T0 = Instant.parse("2018-04-16T00:00:00Z");

  /** Hands out the scripted offsets in order and fails the test on any draw beyond them. */
  static final class ScriptedDraws implements RandomGenerator {
    final Deque<Long> offsets;

    ScriptedDraws(Long... offsets) {
      this.offsets = new ArrayDeque<>(List.of(offsets));
    }

    @Override
    public long nextLong(long bound) {
      Long next = offsets.poll();
      if (next == null) throw new AssertionError("more address draws than the scenario allows");
      assertThat(next).isLessThan(bound);
      return next;
    }

    @Override
    public long nextLong() {
      throw new AssertionError("the cloud should draw with a bound");
    }
  }

  static CloudRanges ranges(String... regionAndPrefix) throws Exception {
    StringBuilder json =
        new StringBuilder("{\"syncToken\":\"t\",\"createDate\":\"d\",\"prefixes\":[");
    for (int i = 0; i < regionAndPrefix.length; i += 2) {
      if (i > 0) json.append(',');
      json.append("{\"ip_prefix\":\"")
          .append(regionAndPrefix[i + 1])
          .append("\",\"region\":\"")
          .append(regionAndPrefix[i])
          .append("\",\"service\":\"EC2\"}");
    }
    json.append("]}");
    return CloudRangeParser.parse(
        new ByteArrayInputStream(json.toString().getBytes(StandardCharsets.UTF_8)),
        RangePublisher.AWS,
        null);
  }

  static ReplayFleetFile fleet(int replicas, String regions, String onBlocked) throws Exception {
    String yaml =
        """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: test, namespace: default}
        spec:
          replicas: %d
          placement: [{cloudProfile: aws, regions: [%s]}]
          rotation: {onBlocked: %s}
        """
            .formatted(replicas, regions, onBlocked);
    return ReplayFleetFile.read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
  }

  static BlockTimeline timeline(String csv) throws Exception {
    return BlockTimeline.read(new ByteArrayInputStream(csv.getBytes(StandardCharsets.UTF_8)));
  }

  static ReplaySettings settings(Duration duration, Duration detection, int maxDraws) {
    return new ReplaySettings(
        T0, duration, Duration.ofSeconds(10), Duration.ofSeconds(30), detection, maxDraws, 2, 1);
  }

  static BlockadeReplay replay(
      ReplayFleetFile fleet,
      CloudRanges ranges,
      RandomGenerator draws,
      BlockTimeline timeline,
      ReplaySettings settings) {
    SimulatedClock clock = new SimulatedClock(settings.start());
    SimulatedCloud cloud =
        new SimulatedCloud(
            "aws", ranges, clock, draws, settings.bootDelay(), settings.subnetsPerRegion());
    return new BlockadeReplay(
        fleet.fleet(), Map.of("aws", cloud), timeline, settings, clock, new SplittableRandom(7));
  }

  /**
   * Two proxies in a region of two /24s draw 10.0.0.5 and 10.0.1.44 when they boot at 0:30. At
   * 10:00 10.0.0.0/24 is blocked; the operator learns it at 11:00 and the proxy on 10.0.0.5 draws
   * 10.0.0.7 and 10.0.0.20 (blocked, released) and 10.0.1.144. Lost: that proxy from 10:00 to
   * 11:00.
   */
  @Test
  void reassignIpAfterADetectionDelay() throws Exception {
    BlockadeReplay replay =
        replay(
            fleet(2, "r1", "ReassignIP"),
            ranges("r1", "10.0.0.0/24", "r1", "10.0.1.0/24"),
            new ScriptedDraws(5L, 300L, 7L, 20L, 400L),
            timeline("time,cidr\n2018-04-16T00:10:00Z,10.0.0.0/24\n"),
            settings(Duration.ofMinutes(30), Duration.ofMinutes(1), 10));

    ReplayReport r = replay.run();

    assertThat(r.warmUp()).isEqualTo(Duration.ofSeconds(30));
    // Measured from 0:30 to 30:00: 2 x 1770 proxy-seconds wanted, 60 missing.
    assertThat(r.availability()).isEqualTo((3540.0 - 60) / 3540);
    assertThat(r.desiredProxyHours()).isEqualTo(3540 / 3600.0);
    assertThat(r.steps())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.at()).isEqualTo(T0.plusSeconds(600));
              assertThat(s.cidrs()).containsExactly("10.0.0.0/24");
              assertThat(s.newlyBlocked()).isEqualTo(256);
              assertThat(s.affectedProxies()).isEqualTo(1);
              assertThat(s.recovery()).isEqualTo(Duration.ofSeconds(60));
            });
    assertThat(r.recovery())
        .isEqualTo(
            new ReplayReport.Recovery(
                1, 1, 0, Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(60)));
    assertThat(r.ipsDrawn()).isEqualTo(5);
    assertThat(replay.drawsCounted()).isEqualTo(5);
    assertThat(r.blockedDraws()).isEqualTo(2);
    assertThat(r.ipRotations()).isEqualTo(1);
    assertThat(r.rotationsByReason()).containsExactly(Map.entry("Blocked", 1L));
    assertThat(r.deletesByReason()).isEmpty();
    assertThat(r.failuresByReason()).isEmpty();
    assertThat(r.instancesLaunched()).isEqualTo(2);
    assertThat(r.finalSpread()).containsExactly(new ReplayReport.Spread("aws", "r1", 2, 2, 2, 0));
    assertThat(r.finalExposure())
        .singleElement()
        .satisfies(e -> assertThat(e.exposure().fraction()).isEqualTo(0.5));
    assertThat(replay.describeProxies())
        .allMatch(p -> p.endsWith(" Running 10.0.1.44") || p.endsWith(" Running 10.0.1.144"));
  }

  /**
   * As above with Replace: the replacement boots 30 s after detection and draws 10.0.0.7, then
   * 10.0.1.144.
   */
  @Test
  void replaceWaitsForTheNewVmToBoot() throws Exception {
    BlockadeReplay replay =
        replay(
            fleet(2, "r1", "Replace"),
            ranges("r1", "10.0.0.0/24", "r1", "10.0.1.0/24"),
            new ScriptedDraws(5L, 300L, 7L, 400L),
            timeline("time,cidr\n2018-04-16T00:10:00Z,10.0.0.0/24\n"),
            settings(Duration.ofMinutes(30), Duration.ofMinutes(1), 10));

    ReplayReport r = replay.run();

    assertThat(r.availability()).isEqualTo((3540.0 - 90) / 3540);
    assertThat(r.steps().get(0).recovery()).isEqualTo(Duration.ofSeconds(90));
    assertThat(r.ipsDrawn()).isEqualTo(4);
    assertThat(r.blockedDraws()).isEqualTo(1);
    assertThat(r.ipRotations()).isZero();
    assertThat(r.rotationsByReason()).containsExactly(Map.entry("Blocked", 1L));
    assertThat(r.deletesByReason()).containsExactly(Map.entry("Blocked", 1L));
    assertThat(r.instancesLaunched()).isEqualTo(3);
    assertThat(r.finalSpread()).containsExactly(new ReplayReport.Spread("aws", "r1", 2, 2, 2, 0));
  }

  /**
   * A region that is entirely blocked at 10:00 is 100% covered, above maxRegionBlockedPercent (80):
   * the blocked proxy there is replaced in the other region at once (no draw from burned space),
   * the replacement boots at 10:30 and draws one clean address. Lost: that proxy from 10:00 to
   * 10:30.
   */
  @Test
  void aFullyBlockedRegionIsAvoidedAndItsProxyReplacedInTheOtherRegion() throws Exception {
    ReplayReport r =
        BlockadeReplay.create(
                fleet(2, "r1, r2", "ReassignIP").fleet(),
                Map.of("aws", ranges("r1", "10.0.0.0/24", "r2", "10.1.0.0/24")),
                timeline("time,cidr\n2018-04-16T00:10:00Z,10.0.0.0/24\n"),
                settings(Duration.ofMinutes(20), Duration.ZERO, 3))
            .run();

    assertThat(r.ipsDrawn()).isEqualTo(2 + 1);
    assertThat(r.blockedDraws()).isZero();
    assertThat(r.instancesLaunched()).isEqualTo(3);
    assertThat(r.failuresByReason()).isEmpty();
    assertThat(r.deletesByReason()).containsExactly(Map.entry("Blocked", 1L));
    assertThat(r.rotationsByReason()).containsExactly(Map.entry("Blocked", 1L));
    // From 0:30 to 20:00: 2 x 1170 wanted; the r1 proxy served 570 s, r2 1170 s, the replacement
    // 570 s.
    assertThat(r.availability()).isEqualTo(2310.0 / 2340);
    assertThat(r.recovery())
        .isEqualTo(
            new ReplayReport.Recovery(
                1, 1, 0, Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30)));
    assertThat(r.finalSpread())
        .containsExactly(
            new ReplayReport.Spread("aws", "r1", 0, 0, 0, 0),
            new ReplayReport.Spread("aws", "r2", 2, 2, 2, 0));
    assertThat(r.finalExposure())
        .extracting(e -> e.exposure().fraction())
        .containsExactly(1.0, 0.0);
  }

  /**
   * The same with avoidance off (maxRegionBlockedPercent 100): the r1 proxy spends its 3 draws at
   * 10:00, fails, burns r1 for the 30-minute cooldown, and its replacement goes to r2 (booting at
   * 10:30). Before the cooldown the region was relaunched every 90 s and never served again.
   */
  @Test
  void aBurnedRegionIsLeftForTheCooldownAndTheReplacementGoesElsewhere() throws Exception {
    String yaml =
        """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: test, namespace: default}
        spec:
          replicas: 2
          maxRegionBlockedPercent: 100
          placement: [{cloudProfile: aws, regions: [r1, r2]}]
          rotation: {onBlocked: ReassignIP, burnedRegionCooldown: 30m, maxAddressDraws: 3}
        """;
    ReplayReport r =
        BlockadeReplay.create(
                ReplayFleetFile.read(
                        new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
                    .fleet(),
                Map.of("aws", ranges("r1", "10.0.0.0/24", "r2", "10.1.0.0/24")),
                timeline("time,cidr\n2018-04-16T00:10:00Z,10.0.0.0/24\n"),
                settings(Duration.ofMinutes(20), Duration.ZERO, 10))
            .run();

    // The fleet's rotation.maxAddressDraws (3) wins over the operator-wide fallback (10).

    assertThat(r.ipsDrawn()).isEqualTo(2 + 3 + 1);
    assertThat(r.blockedDraws()).isEqualTo(3);
    assertThat(r.instancesLaunched()).isEqualTo(3);
    assertThat(r.failuresByReason()).containsExactly(Map.entry("NoCleanAddress", 1L));
    assertThat(r.deletesByReason()).containsExactly(Map.entry("Failed", 1L));
    // The failed proxy's replacement is a rotation too (status.rotationsByReason.Failed, as the
    // README says).
    assertThat(r.rotationsByReason())
        .containsOnly(Map.entry("Blocked", 1L), Map.entry("Failed", 1L));
    assertThat(r.availability()).isEqualTo(2310.0 / 2340);
    assertThat(r.recovery())
        .isEqualTo(
            new ReplayReport.Recovery(
                1, 1, 0, Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30)));
    assertThat(r.finalSpread())
        .containsExactly(
            new ReplayReport.Spread("aws", "r1", 0, 0, 0, 0),
            new ReplayReport.Spread("aws", "r2", 2, 2, 2, 0));
  }

  @Test
  void aSeedRepeatsExactly() throws Exception {
    ReplayFleetFile fleet = fleet(6, "r1, r2", "ReassignIP");
    Map<String, CloudRanges> ranges =
        Map.of("aws", ranges("r1", "10.0.0.0/22", "r2", "10.1.0.0/22"));
    BlockTimeline timeline =
        timeline("time,cidr\n2018-04-16T00:10:00Z,10.0.0.0/23\n2018-04-16T00:20:00Z,10.1.1.0/24\n");
    ReplaySettings settings = settings(Duration.ofHours(1), Duration.ZERO, 10);
    ReplayReport a = BlockadeReplay.create(fleet.fleet(), ranges, timeline, settings).run();
    ReplayReport b = BlockadeReplay.create(fleet.fleet(), ranges, timeline, settings).run();
    assertThat(b.ipsDrawn()).isEqualTo(a.ipsDrawn());
    assertThat(b.blockedDraws()).isEqualTo(a.blockedDraws());
    assertThat(b.availability()).isEqualTo(a.availability());
    assertThat(b.steps()).isEqualTo(a.steps());
    assertThat(a.finalSpread()).allSatisfy(s -> assertThat(s.onBlockedIp()).isZero());
  }

  @Test
  void percentilesAreNearestRank() {
    List<Duration> d =
        List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20).stream()
            .map(Duration::ofSeconds)
            .toList();
    assertThat(BlockadeReplay.percentile(d, 50)).isEqualTo(Duration.ofSeconds(10));
    assertThat(BlockadeReplay.percentile(d, 95)).isEqualTo(Duration.ofSeconds(19));
    assertThat(BlockadeReplay.percentile(List.of(Duration.ofSeconds(7)), 95))
        .isEqualTo(Duration.ofSeconds(7));
    assertThat(BlockadeReplay.percentile(List.of(), 50)).isNull();
  }
}
