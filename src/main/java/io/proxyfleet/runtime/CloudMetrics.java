package io.proxyfleet.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.proxyfleet.cloud.CloudCallObserver;
import io.proxyfleet.gc.GarbageCollector;

/**
 * What the operator does to the clouds, counted in this process: every cloud operation by provider,
 * operation and outcome (so errors and throttling show as outcomes), and what the garbage collector
 * removed. Unlike the fleet metrics these are counters of this replica's own actions: only the
 * leader acts, so sum them over replicas.
 */
public final class CloudMetrics implements CloudCallObserver {

  /** Exported as {@code proxyfleet_cloud_api_calls_total{provider,operation,outcome}}. */
  public static final String CALLS = "proxyfleet_cloud_api_calls";

  /**
   * Exported as {@code proxyfleet_gc_removals_total{kind}}, kind {@code instance} or {@code
   * address}.
   */
  public static final String GC_REMOVALS = "proxyfleet_gc_removals";

  private final MeterRegistry registry;
  private final Counter instancesRemoved;
  private final Counter addressesRemoved;

  public CloudMetrics(MeterRegistry registry) {
    this.registry = registry;
    // Registered up front so a rate() over them starts at 0 instead of at the first removal.
    this.instancesRemoved = gcCounter("instance");
    this.addressesRemoved = gcCounter("address");
  }

  private Counter gcCounter(String kind) {
    return Counter.builder(GC_REMOVALS)
        .description(
            "Cloud resources the garbage collector removed because no Proxy owned them (or owned another)")
        .tag("kind", kind)
        .register(registry);
  }

  @Override
  public void called(String provider, String operation, String outcome) {
    Counter.builder(CALLS)
        .description(
            "Cloud operations by provider, operation and outcome (success, throttled, unauthorized, ...)")
        .tag("provider", provider)
        .tag("operation", operation)
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  /** Counts what one garbage-collection pass removed. */
  public void collected(GarbageCollector.Report report) {
    instancesRemoved.increment(report.terminatedInstances().size());
    addressesRemoved.increment(report.releasedAddresses().size());
  }
}
