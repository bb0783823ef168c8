package io.proxyfleet.blocklist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.IpAddresses;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Conditional-GET rules, the size cap, the refresh schedule and the content hash. */
class SmallPartsTest {

  @Test
  void validatorsAreSentOnlyWithAGoodVersion() {
    assertThat(ConditionalGet.requestHeaders("\"e\"", "Mon, 12 Aug 2024 00:34:24 GMT", true))
        .containsExactly(
            Map.entry("If-None-Match", "\"e\""),
            Map.entry("If-Modified-Since", "Mon, 12 Aug 2024 00:34:24 GMT"));
    assertThat(ConditionalGet.requestHeaders("\"e\"", null, false)).isEmpty();
    assertThat(ConditionalGet.requestHeaders(" ", null, true)).isEmpty();
  }

  @Test
  void statusesMeanWhatHttpSays() {
    assertThat(ConditionalGet.outcome(200, true)).isEqualTo(ConditionalGet.Outcome.NEW_CONTENT);
    assertThat(ConditionalGet.outcome(304, true)).isEqualTo(ConditionalGet.Outcome.NOT_MODIFIED);
    assertThat(ConditionalGet.outcome(304, false))
        .as("a 304 to an unconditional GET keeps nothing")
        .isEqualTo(ConditionalGet.Outcome.FAILED);
    assertThat(ConditionalGet.outcome(308, true)).isEqualTo(ConditionalGet.Outcome.REDIRECT);
    assertThat(ConditionalGet.outcome(500, true)).isEqualTo(ConditionalGet.Outcome.FAILED);
    assertThat(ConditionalGet.failure(410, "s", "spec.sources[2]").reason())
        .isEqualTo(FailureReason.NOT_FOUND);
    assertThat(ConditionalGet.failure(504, "s", "spec.sources[2]").reason())
        .isEqualTo(FailureReason.TIMEOUT);
    assertThat(ConditionalGet.failure(404, "s", "spec.sources[2]").message())
        .contains("source s")
        .contains("spec.sources[2].url");
  }

  @Test
  void theCapStopsOneBytePastTheLimit() throws Exception {
    CappedInputStream in = new CappedInputStream(new ByteArrayInputStream(new byte[10_000]), 4096);
    byte[] buffer = new byte[1000];
    assertThatThrownBy(
            () -> {
              while (in.read(buffer) >= 0) {
                // drain
              }
            })
        .isInstanceOf(TooLargeException.class);
    assertThat(in.count()).isEqualTo(4097);
    CappedInputStream exact = new CappedInputStream(new ByteArrayInputStream(new byte[4096]), 4096);
    assertThat(exact.readAllBytes()).hasSize(4096);
  }

  @Test
  void theCapNeverPullsMoreThanItNeedsFromAnEndlessStream() {
    long[] pulled = {0};
    InputStream endless =
        new InputStream() {
          @Override
          public int read() {
            pulled[0]++;
            return 'x';
          }

          @Override
          public int read(byte[] b, int off, int len) {
            pulled[0] += len;
            return len;
          }
        };
    assertThatThrownBy(() -> new CappedInputStream(endless, 1 << 20).readAllBytes())
        .isInstanceOf(TooLargeException.class);
    assertThat(pulled[0]).isEqualTo((1 << 20) + 1);
  }

  @Test
  void failuresBackOffFromThirtySecondsToTheRefreshInterval() {
    Instant now = Instant.parse("2025-10-01T12:00:00Z");
    Duration hour = Duration.ofHours(1);
    assertThat(RefreshSchedule.afterSuccess(now, hour)).isEqualTo(now.plus(hour));
    assertThat(RefreshSchedule.backoff(1, hour)).isEqualTo(Duration.ofSeconds(30));
    assertThat(RefreshSchedule.backoff(2, hour)).isEqualTo(Duration.ofSeconds(60));
    assertThat(RefreshSchedule.backoff(5, hour)).isEqualTo(Duration.ofMinutes(8));
    assertThat(RefreshSchedule.backoff(8, hour)).isEqualTo(hour);
    assertThat(RefreshSchedule.backoff(1_000, hour)).isEqualTo(hour);
    assertThat(RefreshSchedule.backoff(1, Duration.ofMinutes(1))).isEqualTo(Duration.ofSeconds(30));
    assertThat(RefreshSchedule.afterFailure(now, 3, Duration.ofMinutes(1)))
        .isEqualTo(now.plusSeconds(60));
  }

  @Test
  void theHashDependsOnTheRangesOnly() {
    BlockIndex a = build("10.0.0.0/24", "10.0.1.0/24", "192.0.2.1");
    BlockIndex b = build("192.0.2.1/32", "10.0.0.0/23", "10.0.0.5");
    BlockIndex c = build("10.0.0.0/23");
    assertThat(IndexHash.of(a)).isEqualTo(IndexHash.of(b)).hasSize(64);
    assertThat(IndexHash.of(c)).isNotEqualTo(IndexHash.of(a));
    assertThat(IndexHash.of(build("10.0.0.0/23", "2001:db8::/32"))).isNotEqualTo(IndexHash.of(c));
  }

  static BlockIndex build(String... cidrs) {
    BlockIndex.Builder b = BlockIndex.builder();
    for (String c : cidrs) {
      b.add(IpAddresses.parseRange(c));
    }
    return b.build();
  }
}
