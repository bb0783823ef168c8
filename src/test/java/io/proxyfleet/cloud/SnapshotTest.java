package io.proxyfleet.cloud;

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
    Snapshot<Integer> s =
        new Snapshot<>(
            () -> {
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
            },
            clock,
            Duration.ofMinutes(1));
    Thread t = new Thread(s::get);
    t.start();
    fetching.await();
    s.invalidate();
    invalidated.countDown();
    t.join();
    assertThat(s.peek()).as("the stale listing was handed out but not kept").isNull();
    assertThat(s.get()).isEqualTo(2);
  }

  @Test
  void concurrentCallersWaitForOneFetchAndShareIt() throws Exception {
    CountDownLatch fetching = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Snapshot<Integer> s =
        new Snapshot<>(
            () -> {
              fetching.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return fetches.incrementAndGet();
            },
            clock,
            Duration.ofMinutes(1));
    java.util.List<Integer> seen =
        java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    java.util.List<Thread> callers = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Thread t = new Thread(() -> seen.add(s.get()));
      callers.add(t);
      t.start();
    }
    fetching.await();
    release.countDown();
    for (Thread t : callers) {
      t.join();
    }
    assertThat(fetches.get()).as("one fetch for four callers").isEqualTo(1);
    assertThat(seen).containsExactly(1, 1, 1, 1);
  }

  @Test
  void aFailedFetchKeepsNothingAndReachesTheCaller() {
    Snapshot<Integer> s =
        new Snapshot<>(
            () -> {
              if (fetches.incrementAndGet() == 1) {
                throw new IllegalStateException("listing failed");
              }
              return fetches.get();
            },
            clock,
            Duration.ofMinutes(1));
    org.assertj.core.api.Assertions.assertThatThrownBy(s::get).hasMessage("listing failed");
    assertThat(s.peek()).isNull();
    assertThat(s.fetchedAt()).isNull();
    assertThat(s.get()).isEqualTo(2);
    assertThat(s.fetchedAt()).isEqualTo(clock.instant());
  }
}
