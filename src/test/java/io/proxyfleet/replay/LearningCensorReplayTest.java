package io.proxyfleet.replay;

import static io.proxyfleet.replay.BlockadeReplayTest.T0;
import static io.proxyfleet.replay.BlockadeReplayTest.fleet;
import static io.proxyfleet.replay.BlockadeReplayTest.ranges;
import static io.proxyfleet.replay.BlockadeReplayTest.timeline;
import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.ranges.CloudRangeParser;
import io.proxyfleet.ranges.CloudRanges;
import io.proxyfleet.ranges.RangePublisher;
import io.proxyfleet.replay.BlockadeReplayTest.ScriptedDraws;
import io.proxyfleet.testing.TestData;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The learning censor and probe detection, first on cases small enough to work out by hand (boot
 * delay 0, so every proxy serves from 0:00 and the vantage's rounds fall on whole minutes), then on
 * the 2018 timeline.
 */
class LearningCensorReplayTest {

  static final String NO_LIST_EVENTS = "time,cidr\n2018-04-17T00:00:00Z,192.0.2.0/24\n";
  static final LearningCensor.Settings TEN_MINUTES =
      new LearningCensor.Settings(Duration.ofMinutes(10), 0);
  static final DetectionModel PROBES_1M_2 = DetectionModel.probes(Duration.ofMinutes(1), 2, null);

  static ReplaySettings settings(Duration duration, Duration listLag) {
    return new ReplaySettings(
        T0, duration, Duration.ofSeconds(10), Duration.ZERO, listLag, 10, 1, 1);
  }

  static BlockadeReplay replay(
      ReplayFleetFile fleet,
      CloudRanges ranges,
      ScriptedDraws draws,
      BlockTimeline timeline,
      ReplaySettings settings) {
    SimulatedClock clock = new SimulatedClock(settings.start());
    SimulatedCloud cloud =
        new SimulatedCloud(
            "aws", ranges, clock, draws, settings.bootDelay(), settings.subnetsPerRegion());
    return new BlockadeReplay(
        fleet.fleet(), Map.of("aws", cloud), timeline, settings, clock, new SplittableRandom(7));
  }

  static CloudRanges twoSlash24s() throws Exception {
    return ranges("r1", "10.0.0.0/24", "r1", "10.0.1.0/24");
  }

  /**
   * One proxy on 10.0.0.5 from 0:00. The vantage probes on every whole minute and reports a round
   * at the next: the round of 0:00 reaches the address, so it is published at 1:00, where the
   * censor learns it, to block it at 11:00. The rounds of 11:00 and 12:00 fail, so the operator
   * learns the block at 13:00, exactly 12 minutes after publishing, and the proxy gets 10.0.0.9 at
   * once, published at 14:00 after its first round. The censor blocks that at 24:00, found at 26:00
   * (10.0.1.44 then, published at 27:00). Served from 1:00 (the warm-up): 1-11, 14-24, 27-30 = 23
   * of 29 minutes; two blocks, each recovered in 3 minutes (two rounds to find it, one to publish
   * anew).
   */
  @Test
  void probesFindALearnedBlockAfterTwoRoundsAndTheProxyMoves() throws Exception {
    BlockadeReplay replay =
        replay(
            fleet(1, "r1", "ReassignIP"),
            twoSlash24s(),
            new ScriptedDraws(5L, 9L, 300L),
            timeline(NO_LIST_EVENTS),
            settings(Duration.ofMinutes(30), Duration.ZERO));

    ReplayReport r = replay.censor(TEN_MINUTES).detection(PROBES_1M_2).run();

    assertThat(r.warmUp()).isEqualTo(Duration.ofMinutes(1));
    assertThat(r.availability()).isEqualTo(23.0 / 29);
    assertThat(r.steps())
        .extracting(
            ReplayReport.Step::at,
            ReplayReport.Step::censored,
            ReplayReport.Step::affectedProxies,
            ReplayReport.Step::recovery)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                T0.plusSeconds(660), List.of("10.0.0.5/32"), 1, Duration.ofMinutes(3)),
            org.assertj.core.groups.Tuple.tuple(
                T0.plusSeconds(1440), List.of("10.0.0.9/32"), 1, Duration.ofMinutes(3)));
    assertThat(r.recovery())
        .isEqualTo(
            new ReplayReport.Recovery(
                2, 2, 0, Duration.ofMinutes(3), Duration.ofMinutes(3), Duration.ofMinutes(3)));
    assertThat(r.ipsDrawn()).isEqualTo(3);
    assertThat(r.blockedDraws()).isZero();
    assertThat(r.ipRotations()).isEqualTo(2);
    assertThat(r.rotationsByReason()).containsExactly(Map.entry("Blocked", 2L));
    // Rounds start on each of minutes 0 to 29.
    assertThat(r.detection())
        .isEqualTo(
            new ReplayReport.Detection(
                "probes",
                Duration.ZERO,
                Duration.ofMinutes(1),
                2,
                3,
                30,
                TEN_MINUTES,
                2,
                0,
                0,
                2,
                0));
    assertThat(replay.describeProxies())
        .singleElement()
        .satisfies(p -> assertThat(p).endsWith(" Running 10.0.1.44"));
  }

  /**
   * The same with lists only: published at 0:00 (no inside check to wait for), blocked at 10:00 by
   * a censor that publishes nothing, so the proxy serves 0-10 and never again.
   */
  @Test
  void listsNeverFindWhatTheCensorDoesNotPublish() throws Exception {
    BlockadeReplay replay =
        replay(
            fleet(1, "r1", "ReassignIP"),
            twoSlash24s(),
            new ScriptedDraws(5L),
            timeline(NO_LIST_EVENTS),
            settings(Duration.ofMinutes(30), Duration.ZERO));

    ReplayReport r = replay.censor(TEN_MINUTES).run();

    assertThat(r.availability()).isEqualTo(10.0 / 30);
    assertThat(r.recovery()).isEqualTo(new ReplayReport.Recovery(1, 0, 1, null, null, null));
    assertThat(r.detection())
        .isEqualTo(
            new ReplayReport.Detection(
                "lists", Duration.ZERO, null, 0, 0, 0, TEN_MINUTES, 1, 0, 0, 0, 0));
    assertThat(r.finalSpread()).containsExactly(new ReplayReport.Spread("aws", "r1", 1, 1, 0, 1));
  }

  /**
   * Three proxies on 10.0.0.5, .6 and .9. The timeline blocks .5 and .6 at 5:00 but the list lags
   * an hour. All three are published at 1:00 after the first round. The rounds of 5:00 and 6:00
   * fail for .5 and .6, so at 7:00 the vantage finds them, and with rangeThreshold 2 the operator
   * learns 10.0.0.0/24 too: the proxy on .9, not blocked, moves as well (a learned range costs a
   * clean address). Each draws 10.0.0.x first (blocked by the learned /24, released) and then
   * 10.0.1.x, published at 8:00. Lost of 3 x 29 minutes: 5:00-8:00 twice, 7:00-8:00 once.
   */
  @Test
  void probesBeatALaggingListAndALearnedRangeMovesItsCleanNeighbour() throws Exception {
    BlockTimeline timeline =
        timeline("time,cidr\n2018-04-16T00:05:00Z,10.0.0.5/32\n2018-04-16T00:05:00Z,10.0.0.6/32\n");
    BlockadeReplay replay =
        replay(
            fleet(3, "r1", "ReassignIP"),
            twoSlash24s(),
            new ScriptedDraws(5L, 6L, 9L, 20L, 300L, 21L, 301L, 22L, 302L),
            timeline,
            settings(Duration.ofMinutes(30), Duration.ofHours(1)));

    ReplayReport r = replay.detection(DetectionModel.probes(Duration.ofMinutes(1), 2, 2)).run();

    assertThat(r.availability()).isEqualTo((87.0 - 7) / 87);
    assertThat(r.steps())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.cidrs()).containsExactly("10.0.0.5/32", "10.0.0.6/32");
              assertThat(s.censored()).isEmpty();
              assertThat(s.affectedProxies()).isEqualTo(2);
              assertThat(s.recovery()).isEqualTo(Duration.ofMinutes(3));
            });
    assertThat(r.detection().foundByLists()).isZero();
    assertThat(r.detection().foundByProbes()).isEqualTo(3);
    assertThat(r.detection().foundByProbesClean()).isEqualTo(1);
    assertThat(r.blockedDraws()).isEqualTo(3);
    assertThat(r.ipRotations()).isEqualTo(3);
    assertThat(replay.describeProxies())
        .extracting(p -> p.substring(p.lastIndexOf(' ') + 1))
        .containsExactlyInAnyOrder("10.0.1.44", "10.0.1.45", "10.0.1.46");

    // Lists only: .5 and .6 stay blocked from 5:00 to the end (the list has them only at 1:05:00).
    ReplayReport lists =
        replay(
                fleet(3, "r1", "ReassignIP"),
                twoSlash24s(),
                new ScriptedDraws(5L, 6L, 9L),
                timeline,
                settings(Duration.ofMinutes(30), Duration.ofHours(1)))
            .run();
    assertThat(lists.availability()).isEqualTo((90.0 - 50) / 90);
    assertThat(lists.recovery().unrecovered()).isEqualTo(1);
  }

  /**
   * With --censor-range-after 2 the censor, which learned all three at 1:00, blocks 10.0.0.5 and .6
   * at 11:00 and with the second the whole 10.0.0.0/24, so .9 is already inside it. Found at 13:00,
   * moved to 10.0.1.x, published at 14:00.
   */
  @Test
  void aCensorThatBlocksTheRangeOnceItKnowsEnoughOfIt() throws Exception {
    BlockadeReplay replay =
        replay(
            fleet(3, "r1", "ReassignIP"),
            twoSlash24s(),
            new ScriptedDraws(5L, 6L, 9L, 300L, 301L, 302L),
            timeline(NO_LIST_EVENTS),
            settings(Duration.ofMinutes(20), Duration.ZERO));

    ReplayReport r =
        replay
            .censor(new LearningCensor.Settings(Duration.ofMinutes(10), 2))
            .detection(PROBES_1M_2)
            .run();

    ReplayReport.Step step = r.steps().get(0);
    assertThat(step.at()).isEqualTo(T0.plusSeconds(660));
    assertThat(step.censored()).containsExactly("10.0.0.5/32", "10.0.0.6/32", "10.0.0.0/24");
    assertThat(step.newlyBlocked()).isEqualTo(256);
    assertThat(step.affectedProxies()).isEqualTo(3);
    assertThat(step.recovery()).isEqualTo(Duration.ofMinutes(3));
    assertThat(r.detection().censorAddresses()).isEqualTo(2);
    assertThat(r.detection().censorRanges()).isEqualTo(1);
    // Three proxies down 11:00-14:00 of 3 x 19 minutes; the 10.0.1.x addresses would be blocked at
    // 24:00, after the end.
    assertThat(r.availability()).isEqualTo((57.0 - 9) / 57);
    assertThat(r.detection().foundByProbes()).isEqualTo(3);
  }

  @Test
  void theCensorLearnsAnAddressOnceAndKeepsIt() {
    LearningCensor censor =
        new LearningCensor(new LearningCensor.Settings(Duration.ofMinutes(5), 0));
    censor.observe(T0, List.of("10.0.0.1", "10.0.0.2"));
    censor.observe(T0.plusSeconds(60), List.of("10.0.0.1", "10.0.0.3"));
    assertThat(censor.nextBlockAfter(T0)).contains(T0.plusSeconds(300));
    assertThat(censor.advance(T0.plusSeconds(299))).isEmpty();
    assertThat(censor.advance(T0.plusSeconds(300))).containsExactly("10.0.0.1/32", "10.0.0.2/32");
    assertThat(censor.nextBlockAfter(T0.plusSeconds(300))).contains(T0.plusSeconds(360));
    assertThat(censor.advance(T0.plusSeconds(400))).containsExactly("10.0.0.3/32");
    assertThat(censor.blocked().ipv4Addresses()).isEqualTo(3);
    assertThat(censor.nextBlockAfter(T0.plusSeconds(400))).isEmpty();
    censor.observe(T0.plusSeconds(500), List.of("10.0.0.1"));
    assertThat(censor.nextBlockAfter(T0.plusSeconds(500))).isEmpty();
  }

  @Test
  void withoutACensorOrProbesTheReplayIsUnchanged() throws Exception {
    BlockTimeline timeline =
        timeline("time,cidr\n2018-04-16T00:10:00Z,10.0.0.0/23\n2018-04-16T00:20:00Z,10.1.1.0/24\n");
    Map<String, CloudRanges> ranges =
        Map.of("aws", ranges("r1", "10.0.0.0/22", "r2", "10.1.0.0/22"));
    ReplaySettings s = BlockadeReplayTest.settings(Duration.ofHours(1), Duration.ZERO, 10);
    ReplayReport plain =
        BlockadeReplay.create(fleet(6, "r1, r2", "ReassignIP").fleet(), ranges, timeline, s).run();
    ReplayReport explicit =
        BlockadeReplay.create(fleet(6, "r1, r2", "ReassignIP").fleet(), ranges, timeline, s)
            .censor(null)
            .detection(DetectionModel.LISTS)
            .run();
    assertThat(explicit.availability()).isEqualTo(plain.availability());
    assertThat(explicit.steps()).isEqualTo(plain.steps());
    assertThat(explicit.passes()).isEqualTo(plain.passes());
    assertThat(plain.detection().censor()).isNull();
    assertThat(plain.detection().probeRounds()).isZero();
  }

  /**
   * The 2018 timeline with the example fleet and a censor that learns every published address after
   * 30 minutes: lists alone never find those blocks, probes do.
   */
  @Test
  void the2018BlockadeWithALearningCensorNeedsProbes() throws Exception {
    ReplayFleetFile fleet;
    try (InputStream in =
        Files.newInputStream(Path.of("examples/replay/fleet-2018-reassign.yaml"))) {
      fleet = ReplayFleetFile.read(in);
    }
    CloudRanges aws;
    try (InputStream in = TestData.open(TestData.AWS_2018)) {
      aws = CloudRangeParser.parse(in, RangePublisher.AWS, null);
    }
    BlockTimeline timeline;
    try (InputStream in = TestData.open(TestData.TIMELINE_2018)) {
      timeline = BlockTimeline.read(in);
    }
    ReplaySettings settings =
        new ReplaySettings(
            Instant.parse("2018-04-16T12:00:00Z"),
            Duration.ofHours(30),
            ReplaySettings.DEFAULT_PERIOD,
            ReplaySettings.DEFAULT_BOOT_DELAY,
            Duration.ZERO,
            ReplaySettings.DEFAULT_MAX_DRAWS,
            ReplaySettings.DEFAULT_SUBNETS,
            1);
    LearningCensor.Settings censor = new LearningCensor.Settings(Duration.ofMinutes(30), 0);
    ReplayReport lists =
        BlockadeReplay.create(fleet.fleet(), Map.of("aws-prod", aws), timeline, settings)
            .censor(censor)
            .run();
    ReplayReport probes =
        BlockadeReplay.create(fleet.fleet(), Map.of("aws-prod", aws), timeline, settings)
            .censor(censor)
            .detection(DetectionModel.probes(DetectionModel.DEFAULT_PROBE_INTERVAL, null, null))
            .run();

    assertThat(lists.availability()).isLessThan(probes.availability());
    // Lists only: every proxy is found by the censor within 30 minutes and none is ever moved off
    // it.
    assertThat(lists.availability()).isLessThan(0.05);
    assertThat(lists.finalSpread().stream().mapToInt(ReplayReport.Spread::onBlockedIp).sum())
        .isEqualTo(24);
    assertThat(lists.detection().foundByProbes()).isZero();
    // Probes: the blocks are recovered, nothing is left on a blocked address; the fleet keeps 95%
    // even
    // though each address lives about 31 minutes.
    // Each address serves 30 minutes, then is down for three 30 s rounds (two to confirm, one to
    // publish the next address): 1800 / 1890 of the time, give or take the timeline's own blocks.
    assertThat(probes.availability())
        .isCloseTo(1800.0 / 1890, org.assertj.core.data.Offset.offset(0.003));
    // Only a block in the last minutes may be left unrecovered at the end.
    assertThat(probes.recovery().unrecovered()).isLessThanOrEqualTo(1);
    assertThat(probes.recovery().recovered()).isGreaterThan(100);
    assertThat(probes.finalSpread()).allSatisfy(s -> assertThat(s.onBlockedIp()).isZero());
    assertThat(probes.detection().foundByProbes()).isGreaterThan(probes.detection().foundByLists());
    assertThat(probes.detection().confirmRounds()).isEqualTo(2);
    assertThat(probes.detection().rangeThreshold()).isEqualTo(3);
    // The detection itself: a learned block found two 30 s rounds after it took effect, three at
    // most
    // when it fell between rounds; the rest of a recovery is the fleet being whole again.
    assertThat(probes.recovery().p50()).isGreaterThanOrEqualTo(Duration.ofSeconds(60));
  }
}
