package io.proxyfleet.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.proxyfleet.probe.ProbeOutcome;
import io.proxyfleet.vantage.ReachabilityObserver;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the reachability checks see, as this replica's metrics (only the leader checks, so these
 * come from it; aggregate with {@code max} or {@code sum} over replicas):
 *
 * <ul>
 *   <li>{@code proxyfleet_health_checks_total{outcome}}: checks from the operator's own vantage;
 *   <li>{@code proxyfleet_vantage_results{namespace,vantage,outcome}}: what each Vantage reports
 *       now;
 *   <li>{@code proxyfleet_vantage_accepted{namespace,vantage}}: 1 while its reports are used, 0
 *       when silent or never reported (alert on it);
 *   <li>{@code proxyfleet_probe_block_recovery_seconds}: from the first failed inside probe of an
 *       address to its proxy serving on a clean one, for blocks found by vantages.
 * </ul>
 *
 * Vantage labels are names people chose, bounded by the Vantages that exist; no proxy or IP label.
 */
public final class ReachabilityMetrics implements ReachabilityObserver {

  static final String CHECKS = "proxyfleet_health_checks";
  static final String VANTAGE_RESULTS = "proxyfleet_vantage_results";
  static final String VANTAGE_ACCEPTED = "proxyfleet_vantage_accepted";
  static final String PROBE_RECOVERY = "proxyfleet_probe_block_recovery";

  /**
   * Two confirming rounds at the default 30 s take a minute; a slow vantage and a retry, several.
   */
  private static final double[] RECOVERY_BUCKETS = {10, 30, 60, 120, 300, 600, 1800, 3600};

  private final MeterRegistry registry;
  private final DistributionSummary recovery;
  private final Map<String, Series> gauges = new ConcurrentHashMap<>();

  public ReachabilityMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.recovery =
        DistributionSummary.builder(PROBE_RECOVERY)
            .baseUnit("seconds")
            .description(
                "Seconds from the first failed probe from inside to the proxy serving on a clean address (blocks found by vantages)")
            .serviceLevelObjectives(RECOVERY_BUCKETS)
            .register(registry);
    for (ProbeOutcome outcome : ProbeOutcome.values()) {
      checkCounter(outcome);
    }
  }

  private Counter checkCounter(ProbeOutcome outcome) {
    return Counter.builder(CHECKS)
        .description("Checks of proxies from the operator's own vantage, by outcome")
        .tag("outcome", outcome.name())
        .register(registry);
  }

  @Override
  public void checked(ProbeOutcome outcome) {
    checkCounter(outcome).increment();
  }

  @Override
  public void vantages(Map<String, VantageReport> reports) {
    Set<String> live = new HashSet<>();
    reports.forEach(
        (key, report) -> {
          int slash = key.indexOf('/');
          String namespace = key.substring(0, slash);
          String vantage = key.substring(slash + 1);
          report
              .results()
              .forEach(
                  (outcome, n) ->
                      live.add(
                          set(
                              VANTAGE_RESULTS,
                              "Probe results a Vantage reports now, by outcome",
                              n,
                              "namespace",
                              namespace,
                              "vantage",
                              vantage,
                              "outcome",
                              outcome.name())));
          live.add(
              set(
                  VANTAGE_ACCEPTED,
                  "1 while a Vantage's reports are used; 0 when it is silent or never reported",
                  report.accepted() ? 1 : 0,
                  "namespace",
                  namespace,
                  "vantage",
                  vantage));
        });
    // A deleted Vantage's series leave with it.
    gauges
        .entrySet()
        .removeIf(
            e -> {
              if (live.contains(e.getKey())) {
                return false;
              }
              registry.remove(e.getValue().gauge());
              return true;
            });
  }

  private record Series(AtomicInteger value, Gauge gauge) {}

  private String set(String name, String help, int value, String... tags) {
    String id = name + java.util.Arrays.toString(tags);
    gauges
        .computeIfAbsent(
            id,
            k -> {
              AtomicInteger holder = new AtomicInteger();
              return new Series(
                  holder,
                  Gauge.builder(name, holder, AtomicInteger::get)
                      .description(help)
                      .tags(tags)
                      .strongReference(true)
                      .register(registry));
            })
        .value()
        .set(value);
    return id;
  }

  @Override
  public void servingAgain(Duration sinceFirstFailedInsideProbe) {
    recovery.record(sinceFirstFailedInsideProbe.toMillis() / 1000.0);
  }
}
