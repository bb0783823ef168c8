package io.proxyfleet.cloud.aws;

import io.proxyfleet.cloud.CloudException;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A client-side token bucket with reservations: a caller takes the next token, waits until it is
 * due, and fails as {@link CloudException.Reason#THROTTLED} instead of waiting longer than a bound
 * (without taking the token, so callers that give up do not slow the others).
 */
final class TokenBucket {

  /** Waits for a number of nanoseconds; tests pass one that only records. */
  interface Sleeper {
    void sleep(long nanos) throws InterruptedException;
  }

  private final String name;
  private final double nanosPerToken;
  private final long burstNanos;
  private final LongSupplier nanoTime;
  private final Sleeper sleeper;
  // The moment at which the bucket is empty again: tokens are available "before" it.
  private long nextFree;

  TokenBucket(String name, double perSecond, int burst, LongSupplier nanoTime, Sleeper sleeper) {
    this.name = name;
    this.nanosPerToken = 1e9 / perSecond;
    this.burstNanos = (long) (nanosPerToken * burst);
    this.nanoTime = nanoTime;
    this.sleeper = sleeper;
    this.nextFree = nanoTime.getAsLong() - burstNanos;
  }

  static TokenBucket system(String name, double perSecond, int burst) {
    return new TokenBucket(
        name,
        perSecond,
        burst,
        System::nanoTime,
        nanos -> Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000)));
  }

  /** Takes one token, waiting at most {@code maxWait}; THROTTLED when the wait would be longer. */
  void acquire(Duration maxWait) {
    long wait;
    synchronized (this) {
      long now = nanoTime.getAsLong();
      long start = Math.max(nextFree, now - burstNanos);
      long due = start + (long) nanosPerToken;
      wait = Math.max(0, due - now);
      if (wait > maxWait.toNanos()) {
        throw new CloudException(
            CloudException.Reason.THROTTLED,
            "client-side rate limit ("
                + name
                + "): the next call would wait "
                + Duration.ofNanos(wait).toMillis()
                + " ms, more than "
                + maxWait.toMillis()
                + " ms; retry later");
      }
      nextFree = due;
    }
    if (wait > 0) {
      try {
        sleeper.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CloudException(
            CloudException.Reason.TRANSIENT,
            "interrupted while waiting for the rate limit (" + name + ")",
            e);
      }
    }
  }
}
