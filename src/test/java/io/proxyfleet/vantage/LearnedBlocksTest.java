package io.proxyfleet.vantage;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.api.VantageResult;
import io.proxyfleet.probe.ProbeOutcome;
import io.proxyfleet.probe.ProbeResult;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LearnedBlocksTest {

  static final Instant T0 = Instant.parse("2026-11-27T12:00:00Z");

  @Test
  void addressesAreLearnedOneByOneAndTheirSlash24AtTheThreshold() {
    LearnedBlocks learned = new LearnedBlocks(Map.of());
    Instant week = T0.plus(Duration.ofDays(7));
    assertThat(learned.learn("52.58.1.10", week, 3)).isEmpty();
    assertThat(learned.learn("52.58.1.11", week, 3)).isEmpty();
    assertThat(learned.learn("52.58.2.11", week, 3)).as("another /24").isEmpty();
    assertThat(learned.learn("52.58.1.12", week, 3)).contains("52.58.1.0/24");
    assertThat(learned.learn("52.58.1.13", week, 3)).as("already learned").isEmpty();
    assertThat(learned.entries())
        .containsOnlyKeys(
            "52.58.1.10/32",
            "52.58.1.11/32",
            "52.58.2.11/32",
            "52.58.1.12/32",
            "52.58.1.13/32",
            "52.58.1.0/24");
    assertThat(learned.learn("2001:db8::1", week, 1)).as("IPv6 one by one").isEmpty();
    assertThat(learned.entries()).containsKey("2001:db8::1/128");
  }

  @Test
  void entriesExpireAndRelearningExtendsThem() {
    LearnedBlocks learned =
        new LearnedBlocks(
            Map.of("198.51.100.7/32", T0.plusSeconds(10), "198.51.100.8/32", T0.plusSeconds(100)));
    learned.learn("198.51.100.7", T0.plusSeconds(50), 3);
    assertThat(learned.expire(T0.plusSeconds(20))).isFalse();
    assertThat(learned.expire(T0.plusSeconds(60))).isTrue();
    assertThat(learned.entries()).containsOnlyKeys("198.51.100.8/32");
    assertThat(LearnedBlocks.blocklistName("team-a", "tg")).isEqualTo("learned-team-a-tg");
  }

  @Test
  void failedRoundsCountOnlyUnansweredRoundsOnTheSameAddress() {
    ProbeResult timeout = new ProbeResult(ProbeOutcome.TIMEOUT, Duration.ofMillis(500), T0, "");
    ProbeResult passed = new ProbeResult(ProbeOutcome.PASSED, Duration.ofMillis(43), T0, "");
    ProbeResult refusedCreds =
        new ProbeResult(ProbeOutcome.AUTH_REFUSED, Duration.ofMillis(3), T0, "");
    VantageResult r = ProbeAgent.next(null, "p", "1.2.3.4", timeout);
    assertThat(r.getFailedRounds()).isEqualTo(1);
    assertThat(r.getOutcome()).isEqualTo("Timeout");
    for (int i = 0; i < 10; i++) {
      r = ProbeAgent.next(r, "p", "1.2.3.4", timeout);
    }
    assertThat(r.getFailedRounds()).isEqualTo(VantageResult.MAX_FAILED_ROUNDS);
    assertThat(ProbeAgent.next(r, "p", "5.6.7.8", timeout).getFailedRounds())
        .as("a new address starts over")
        .isEqualTo(1);
    VantageResult ok = ProbeAgent.next(r, "p", "1.2.3.4", passed);
    assertThat(ok.getFailedRounds()).isZero();
    assertThat(ok.getLatencyMs()).isEqualTo(40);
    assertThat(ProbeAgent.next(ok, "p", "1.2.3.4", refusedCreds).getFailedRounds())
        .as("the proxy answered")
        .isZero();
    for (ProbeOutcome o : ProbeOutcome.values()) {
      assertThat(ProbeAgent.outcome(ProbeAgent.wire(o))).contains(o);
    }
    assertThat(ProbeAgent.outcome("Blocked")).isEmpty();
  }
}
