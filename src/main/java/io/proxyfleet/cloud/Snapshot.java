package io.proxyfleet.cloud;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A listing reused for a while: at most one fetch at a time (concurrent callers wait for it and
 * share the result), reused until {@code ttl} passes or {@link #invalidate()} is called. A fetch
 * that was running while the listing was invalidated is handed to its callers but not kept, so a
 * mutation is never hidden by a listing started before it.
 *
 * <p>Shared by the cloud adapters (EC2 per-region listings, GCE per-region listings): the rule "a
 * listing started before a write is not stored after it" is easy to get subtly wrong, so it lives
 * in one place. A fetch that throws keeps nothing and the exception reaches the caller.
 */
public final class Snapshot<T> {

  private final Supplier<T> fetch;
  private final Clock clock;
  private final Duration ttl;
  private final Object lock = new Object();
  private volatile T value;
  private volatile Instant fetchedAt;
  private final AtomicLong generation = new AtomicLong();

  public Snapshot(Supplier<T> fetch, Clock clock, Duration ttl) {
    this.fetch = fetch;
    this.clock = clock;
    this.ttl = ttl;
  }

  /**
   * The kept listing while fresh, else a new fetch (one at a time; concurrent callers wait for it).
   */
  public T get() {
    T v = fresh();
    if (v != null) {
      return v;
    }
    synchronized (lock) {
      v = fresh();
      if (v != null) {
        return v;
      }
      long started = generation.get();
      Instant at = clock.instant();
      T fetched = fetch.get();
      if (generation.get() == started) {
        value = fetched;
        fetchedAt = at;
      }
      return fetched;
    }
  }

  /** Forgets the listing: the next {@link #get()} fetches. */
  public void invalidate() {
    generation.incrementAndGet();
    value = null;
  }

  /** The kept listing, fresh or not, without fetching; null when there is none. */
  public T peek() {
    return value;
  }

  /** When the kept listing was fetched, or null. */
  public Instant fetchedAt() {
    return value == null ? null : fetchedAt;
  }

  private T fresh() {
    T v = value;
    Instant at = fetchedAt;
    if (v == null || at == null) {
      return null;
    }
    return clock.instant().isBefore(at.plus(ttl)) ? v : null;
  }
}
