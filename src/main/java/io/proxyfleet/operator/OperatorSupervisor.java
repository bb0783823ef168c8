package io.proxyfleet.operator;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one {@link ProxyFleetOperator} running for the life of the process. When it cannot start
 * (the API server is down, RBAC is missing) it tries again with backoff; when it loses the leader
 * Lease (an API outage longer than the renew deadline, a revoked binding) it is stopped and a fresh
 * instance rejoins the election as a standby.
 *
 * <p>Why not exit on a lost Lease, as client-go's controllers do: the cloud providers live in this
 * process (clients, caches and, with the local provider, the proxies themselves). A new operator
 * instance reuses them, so an API outage costs no proxy and no listener, and no two instances ever
 * reconcile at once (the old one is stopped before the new one starts).
 */
public final class OperatorSupervisor implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(OperatorSupervisor.class);
  static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private final Function<Runnable, ProxyFleetOperator> factory;
  private final Thread loop;
  private final Object lock = new Object();
  private final CountDownLatch firstStart = new CountDownLatch(1);
  private volatile boolean stopping;
  private ProxyFleetOperator current;

  /**
   * @param factory builds an operator that calls the given runnable when it loses the Lease
   */
  public OperatorSupervisor(Function<Runnable, ProxyFleetOperator> factory) {
    this.factory = factory;
    this.loop = new Thread(this::run, "proxyfleet-supervisor");
  }

  public void start() {
    loop.start();
  }

  /** Waits until the first instance has started; false if it has not within {@code timeout}. */
  public boolean awaitStarted(Duration timeout) throws InterruptedException {
    return firstStart.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void run() {
    Duration backoff = FIRST_BACKOFF;
    while (!stopping) {
      CountDownLatch lostLease = new CountDownLatch(1);
      ProxyFleetOperator operator = factory.apply(lostLease::countDown);
      synchronized (lock) {
        if (stopping) {
          return;
        }
        current = operator;
      }
      try {
        operator.start();
        firstStart.countDown();
        backoff = FIRST_BACKOFF;
        lostLease.await();
        log.warn("Restarting the operator as a standby after losing the leader Lease");
      } catch (RuntimeException e) {
        log.warn(
            "Operator could not start ({}); trying again in {} s",
            e.getMessage(),
            backoff.toSeconds());
        pause(backoff);
        backoff =
            backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                ? MAX_BACKOFF
                : backoff.multipliedBy(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        synchronized (lock) {
          current = null;
        }
        operator.close();
      }
    }
  }

  private void pause(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The current instance is started with its informers synced (leader or standby). */
  public boolean isReady() {
    ProxyFleetOperator operator;
    synchronized (lock) {
      operator = current;
    }
    return operator != null && operator.isReady();
  }

  /** The instance running now, if one is. */
  public java.util.Optional<ProxyFleetOperator> current() {
    synchronized (lock) {
      return java.util.Optional.ofNullable(current);
    }
  }

  /** The current instance holds the Lease (or runs without leader election) and is ready. */
  public boolean isLeader() {
    ProxyFleetOperator operator;
    synchronized (lock) {
      operator = current;
    }
    return operator != null && operator.isReady() && operator.isLeader();
  }

  /**
   * The loop that keeps an operator running is alive: while it is, a restart of the process would
   * not help (it retries a failing start by itself), so this is what liveness means.
   */
  public boolean isAlive() {
    return loop.isAlive() && !stopping;
  }

  /** Stops the running instance (releasing the Lease if it leads) and the loop. */
  @Override
  public void close() {
    ProxyFleetOperator operator;
    synchronized (lock) {
      stopping = true;
      operator = current;
      current = null;
    }
    if (operator != null) {
      operator.close();
    }
    loop.interrupt();
    try {
      loop.join(Duration.ofSeconds(10).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
