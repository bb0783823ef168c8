package io.proxyfleet.cloud.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.replay.SimulatedClock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SnapshotTest {

  final SimulatedClock clock = new SimulatedClock(java.time.Instant.now());
  final AtomicInteger fetches = new AtomicInteger();

  @Test
  void reusedUntilTheTtlOrAnInvalidation() {
    Snapshot<Integer> s = new Snapshot<>(fetches::incrementAndGet, clock, Duration.ofSeconds(5));
    assertThat(s.get()).isEqualTo(1);
    clock.advance(Duration.ofSeconds(4));
    assertThat(s.get()).isEqualTo(1);
    clock.advance(Duration.ofSeconds(2));
    assertThat(s.get()).isEqualTo(2);
    s.invalidate();
    assertThat(s.get()).isEqualTo(3);
    assertThat(s.peek()).isEqualTo(3);
  }

  @Test
  void aListingStartedBeforeAnInvalidationIsNotKept() throws Exception {
    CountDownLatch fetching = new CountDownLatch(1);
    CountDownLatch invalidated = new CountDownLatch(1);
    Snapshot<Integer> s = new Snapshot<>(() -> {
      int n = fetches.incrementAndGet();
      if (n == 1) {
        fetching.countDown();
        try {
          invalidated.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return n;
    }, clock, Duration.ofMinutes(1));
    Thread t = new Thread(s::get);
    t.start();
    fetching.await();
    s.invalidate();
    invalidated.countDown();
    t.join();
    assertThat(s.peek()).as("the stale listing was handed out but not kept").isNull();
    assertThat(s.get()).isEqualTo(2);
  }
}
