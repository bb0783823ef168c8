package io.proxyfleet.runtime;

import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.BooleanSupplier;

/** The operator process's Micrometer registry and the meters that are not about fleets. */
public final class OperatorMetrics {

  /** 1 while this replica reconciles (holds the Lease), 0 on a standby. */
  public static final String LEADER = "proxyfleet_leader";

  private OperatorMetrics() {}

  /**
   * A Prometheus registry with the JVM meters on-call looks at first (heap, threads, CPU, uptime).
   */
  public static PrometheusMeterRegistry registry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    return registry;
  }

  /**
   * JOSDK's reconcile metrics (counts, failures, durations per controller) without per-resource
   * meters: a meter per proxy would grow the series with the fleet size. Reconcilers see their own
   * exceptions, as without metrics (see {@link ReconcileMetrics}).
   */
  public static Metrics reconciles(PrometheusMeterRegistry registry) {
    return new ReconcileMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry));
  }

  public static void leader(PrometheusMeterRegistry registry, BooleanSupplier leading) {
    Gauge.builder(LEADER, () -> leading.getAsBoolean() ? 1 : 0)
        .description(
            "1 while this replica is the leader that reconciles, 0 on a standby or while starting")
        .register(registry);
  }
}
