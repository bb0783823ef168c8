package io.proxyfleet.fleet;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * API writes of one fleet action (create, delete, annotate many Proxies) run a few at a time. One
 * after another, each waits a full round trip (TLS and an etcd write on a real server), which made
 * a 1,000-proxy fleet take most of a minute; unbounded, a big fleet would flood the API server and
 * trip its priority-and-fairness limits. Every write runs even when some fail, so the caller can
 * record the successes before failing the pass.
 */
final class ParallelWrites {

  /** Writes in flight at once, shared by every fleet of the process. */
  static final int PARALLELISM = 8;

  private static final ParallelWrites SHARED = new ParallelWrites(PARALLELISM);

  private final ExecutorService pool;

  ParallelWrites(int parallelism) {
    AtomicInteger threads = new AtomicInteger();
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            parallelism,
            parallelism,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "fleet-writes-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    // Idle between bursts: no threads kept for a quiet fleet.
    executor.allowCoreThreadTimeOut(true);
    this.pool = executor;
  }

  static ParallelWrites shared() {
    return SHARED;
  }

  /** What a batch of writes produced, in input order, and what failed. */
  record Outcome<R>(List<R> done, List<RuntimeException> failures) {
    /**
     * Fails the pass with the first failure (the others suppressed) once the successes are
     * recorded.
     */
    void throwIfFailed() {
      if (failures.isEmpty()) {
        return;
      }
      RuntimeException first = failures.get(0);
      failures.stream().skip(1).limit(5).forEach(first::addSuppressed);
      throw first;
    }
  }

  /** Runs {@code write} for every item, at most {@link #PARALLELISM} at once, and waits for all. */
  <T, R> Outcome<R> run(List<T> items, Function<T, R> write) {
    List<R> done = new ArrayList<>();
    List<RuntimeException> failures = new ArrayList<>();
    if (items.size() <= 1) {
      // Not worth a thread hop, and keeps a single write on the reconciler's thread.
      for (T item : items) {
        try {
          done.add(write.apply(item));
        } catch (RuntimeException e) {
          failures.add(e);
        }
      }
      return new Outcome<>(done, failures);
    }
    List<Future<R>> futures = new ArrayList<>(items.size());
    for (T item : items) {
      futures.add(pool.submit(() -> write.apply(item)));
    }
    for (Future<R> future : futures) {
      try {
        done.add(future.get());
      } catch (ExecutionException e) {
        failures.add(
            e.getCause() instanceof RuntimeException r
                ? r
                : new IllegalStateException(e.getCause()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        futures.forEach(f -> f.cancel(true));
        failures.add(new IllegalStateException("interrupted while writing", e));
        break;
      }
    }
    return new Outcome<>(done, failures);
  }
}
