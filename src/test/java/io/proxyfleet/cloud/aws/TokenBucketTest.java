package io.proxyfleet.cloud.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.proxyfleet.cloud.CloudException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

  final AtomicLong now = new AtomicLong(1_000_000_000_000L);
  final List<Long> sleeps = new ArrayList<>();

  TokenBucket bucket(double perSecond, int burst) {
    return new TokenBucket(
        "test",
        perSecond,
        burst,
        now::get,
        nanos -> {
          sleeps.add(nanos);
          now.addAndGet(nanos);
        });
  }

  @Test
  void burstPassesThenCallsArePacedAtTheRate() {
    TokenBucket b = bucket(2, 3);
    for (int i = 0; i < 3; i++) {
      b.acquire(Duration.ofSeconds(1));
    }
    assertThat(sleeps).isEmpty();
    b.acquire(Duration.ofSeconds(1));
    b.acquire(Duration.ofSeconds(1));
    assertThat(sleeps).containsExactly(500_000_000L, 500_000_000L);
  }

  @Test
  void tokensRefillWhileIdleUpToTheBurst() {
    TokenBucket b = bucket(1, 2);
    b.acquire(Duration.ZERO);
    b.acquire(Duration.ZERO);
    now.addAndGet(Duration.ofSeconds(60).toNanos());
    b.acquire(Duration.ZERO);
    b.acquire(Duration.ZERO);
    assertThatThrownBy(() -> b.acquire(Duration.ZERO))
        .isInstanceOf(CloudException.class)
        .satisfies(
            e ->
                assertThat(((CloudException) e).reason())
                    .isEqualTo(CloudException.Reason.THROTTLED));
  }

  @Test
  void aCallerThatGivesUpTakesNoToken() {
    TokenBucket b = bucket(1, 1);
    b.acquire(Duration.ZERO);
    for (int i = 0; i < 5; i++) {
      assertThatThrownBy(() -> b.acquire(Duration.ofMillis(100)))
          .isInstanceOf(CloudException.class);
    }
    b.acquire(Duration.ofSeconds(2));
    assertThat(sleeps).containsExactly(1_000_000_000L);
  }
}
