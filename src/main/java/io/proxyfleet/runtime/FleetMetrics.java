package io.proxyfleet.runtime;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.proxyfleet.api.ApiGroup;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyFleetStatus;
import io.proxyfleet.api.ProxyPhase;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Fleet health as Prometheus sees it, computed at scrape time from the fleets and proxies the API
 * holds: labels are namespace, fleet, phase, reason, cloud profile and region only (never a proxy
 * name or an IP), so the series count grows with fleets, not with proxies.
 *
 * <p>Why from the API objects and not counters in the reconcilers: every replica (leader or
 * standby) reports the same numbers, they survive a restart or a failover (rotations are counted in
 * the fleet's status), and a deleted fleet's series disappear at the next scrape. Alerts should
 * aggregate with {@code max by (namespace, fleet)} since every replica reports.
 */
public final class FleetMetrics implements MultiCollector, AutoCloseable {

  static final String PROXIES = "proxyfleet_fleet_proxies";
  static final String DESIRED = "proxyfleet_fleet_desired_proxies";
  static final String READY = "proxyfleet_fleet_ready_proxies";
  static final String BLOCKED = "proxyfleet_fleet_blocked_proxies";

  /** Exposed as {@code proxyfleet_rotations_total}. */
  static final String ROTATIONS = "proxyfleet_rotations";

  static final String HELD = "proxyfleet_fleet_rotations_held";
  static final String BURNED = "proxyfleet_fleet_region_burned";
  static final String REGION_BLOCKED_PERCENT = "proxyfleet_fleet_region_blocked_percent";
  static final String BLOCK_RECOVERY = "proxyfleet_block_recovery_seconds";

  /**
   * Exposed as {@code proxyfleet_block_detections_total{namespace,fleet,kind}}, kind list, probe or
   * health.
   */
  static final String DETECTIONS = "proxyfleet_block_detections";

  /** From seconds (a draw in the same pass) to the half hour a burned region's cooldown takes. */
  static final double[] BLOCK_RECOVERY_BUCKETS = {1, 2, 5, 10, 30, 60, 120, 300, 600, 1800};

  private final List<SharedIndexInformer<ProxyFleet>> fleets;
  private final List<SharedIndexInformer<Proxy>> proxies;

  private FleetMetrics(
      List<SharedIndexInformer<ProxyFleet>> fleets, List<SharedIndexInformer<Proxy>> proxies) {
    this.fleets = fleets;
    this.proxies = proxies;
  }

  /**
   * Watches fleets and proxies in every namespace and registers with {@code registry}. It does not
   * wait for the informers: without RBAC (or with the API down) they keep retrying while the
   * operator's own startup reports the problem, and the metrics are simply empty meanwhile.
   */
  public static FleetMetrics start(KubernetesClient client, PrometheusRegistry registry) {
    return start(client, registry, Set.of(), (lists, ip) -> Optional.empty());
  }

  /** Which of {@code lists} (published now) holds {@code ip}, if any. */
  @FunctionalInterface
  public interface BlockLookup {
    Optional<String> listHolding(List<String> lists, String ip);
  }

  /**
   * As {@link #start(KubernetesClient, PrometheusRegistry)}, watching only {@code namespaces}
   * (empty: all); {@code lookup} tells a list block from a probe block when a Proxy swapped its
   * address before recording which list blocked it.
   */
  public static FleetMetrics start(
      KubernetesClient client,
      PrometheusRegistry registry,
      Set<String> namespaces,
      BlockLookup lookup) {
    List<SharedIndexInformer<ProxyFleet>> fleets = new ArrayList<>();
    List<SharedIndexInformer<Proxy>> proxies = new ArrayList<>();
    if (namespaces.isEmpty()) {
      fleets.add(client.resources(ProxyFleet.class).inAnyNamespace().runnableInformer(0));
      proxies.add(client.resources(Proxy.class).inAnyNamespace().runnableInformer(0));
    } else {
      for (String namespace : new TreeSet<>(namespaces)) {
        fleets.add(client.resources(ProxyFleet.class).inNamespace(namespace).runnableInformer(0));
        proxies.add(client.resources(Proxy.class).inNamespace(namespace).runnableInformer(0));
      }
    }
    Histogram recovery =
        Histogram.builder()
            .name(BLOCK_RECOVERY)
            .help(
                "Seconds from a proxy's Blocked condition turning true to it serving on a clean IP (ReassignIP rotations).")
            .labelNames("namespace", "fleet")
            .classicUpperBounds(BLOCK_RECOVERY_BUCKETS)
            .classicOnly()
            .register(registry);
    Counter detections =
        Counter.builder()
            .name(DETECTIONS)
            .help(
                "Proxies found out, by the evidence: list (a published Blocklist), probe (vantages inside, via the fleet's learned list), health (daemon down, checked from outside).")
            .labelNames("namespace", "fleet", "kind")
            .register(registry);
    java.util.function.Function<Proxy, Optional<String>> listOf =
        proxy ->
            fleets.stream()
                .map(
                    i ->
                        i.getStore()
                            .getByKey(
                                proxy.getMetadata().getNamespace()
                                    + "/"
                                    + proxy.getSpec().getFleet()))
                .filter(Objects::nonNull)
                .findFirst()
                .flatMap(
                    fleet ->
                        proxy.getStatus() == null || proxy.getStatus().getPublicIp() == null
                            ? Optional.empty()
                            : lookup.listHolding(
                                io.proxyfleet.api.FleetBlocklists.inForce(fleet),
                                proxy.getStatus().getPublicIp()));
    for (SharedIndexInformer<Proxy> informer : proxies) {
      informer.addEventHandler(
          new ResourceEventHandler<>() {
            @Override
            public void onAdd(Proxy proxy) {}

            @Override
            public void onUpdate(Proxy before, Proxy after) {
              String fleet =
                  Optional.ofNullable(after.getMetadata().getLabels())
                      .map(l -> l.get(ApiGroup.FLEET_LABEL))
                      .orElse(null);
              if (fleet != null) {
                BlockRecovery.of(before, after)
                    .ifPresent(
                        d ->
                            recovery
                                .labelValues(after.getMetadata().getNamespace(), fleet)
                                .observe(d.toMillis() / 1000.0));
                BlockDetection.of(before, after, listOf)
                    .ifPresent(
                        kind ->
                            detections
                                .labelValues(after.getMetadata().getNamespace(), fleet, kind.name())
                                .inc());
              }
            }

            @Override
            public void onDelete(Proxy proxy, boolean finalStateUnknown) {}
          });
    }
    // A deleted fleet's series leave with it, as its gauges do.
    for (SharedIndexInformer<ProxyFleet> informer : fleets) {
      informer.addEventHandler(
          new ResourceEventHandler<>() {
            @Override
            public void onAdd(ProxyFleet fleet) {}

            @Override
            public void onUpdate(ProxyFleet before, ProxyFleet after) {}

            @Override
            public void onDelete(ProxyFleet fleet, boolean finalStateUnknown) {
              recovery.remove(fleet.getMetadata().getNamespace(), fleet.getMetadata().getName());
              for (BlockDetection.Kind kind : BlockDetection.Kind.values()) {
                detections.remove(
                    fleet.getMetadata().getNamespace(), fleet.getMetadata().getName(), kind.name());
              }
            }
          });
    }
    for (SharedIndexInformer<?> informer : concat(fleets, proxies)) {
      informer.exceptionHandler((started, t) -> true);
      informer.start();
    }
    FleetMetrics metrics = new FleetMetrics(fleets, proxies);
    registry.register(metrics);
    return metrics;
  }

  private static List<SharedIndexInformer<?>> concat(
      List<? extends SharedIndexInformer<?>> a, List<? extends SharedIndexInformer<?>> b) {
    List<SharedIndexInformer<?>> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  @Override
  public MetricSnapshots collect() {
    return snapshot(
        fleets.stream().flatMap(i -> i.getStore().list().stream()).toList(),
        proxies.stream().flatMap(i -> i.getStore().list().stream()).toList());
  }

  /** The metrics for these fleets and proxies; proxies of an unknown fleet are left out. */
  static MetricSnapshots snapshot(Collection<ProxyFleet> fleets, Collection<Proxy> proxies) {
    // namespace/fleet -> phase -> count; every phase of every fleet is present (0 included) so an
    // alert on a phase never has to tell "no series" from "none".
    Map<String, Map<ProxyPhase, Integer>> phases = new TreeMap<>();
    for (ProxyFleet fleet : fleets) {
      Map<ProxyPhase, Integer> counts = new TreeMap<>();
      for (ProxyPhase phase : ProxyPhase.values()) counts.put(phase, 0);
      phases.put(key(fleet.getMetadata().getNamespace(), fleet.getMetadata().getName()), counts);
    }
    for (Proxy proxy : proxies) {
      String fleet =
          Optional.ofNullable(proxy.getMetadata().getLabels())
              .map(l -> l.get(ApiGroup.FLEET_LABEL))
              .orElse(null);
      Map<ProxyPhase, Integer> counts =
          fleet == null ? null : phases.get(key(proxy.getMetadata().getNamespace(), fleet));
      if (counts != null) {
        ProxyPhase phase =
            proxy.getStatus() == null || proxy.getStatus().getPhase() == null
                ? ProxyPhase.Pending
                : proxy.getStatus().getPhase();
        counts.merge(phase, 1, Integer::sum);
      }
    }
    GaugeSnapshot.Builder byPhase =
        GaugeSnapshot.builder().name(PROXIES).help("Proxies of each fleet by phase.");
    phases.forEach(
        (key, counts) ->
            counts.forEach(
                (phase, n) ->
                    byPhase.dataPoint(
                        GaugeSnapshot.GaugeDataPointSnapshot.builder()
                            .labels(labels(key).add("phase", phase.name()))
                            .value(n)
                            .build())));

    GaugeSnapshot.Builder desired =
        GaugeSnapshot.builder().name(DESIRED).help("Proxies each fleet asks for (spec.replicas).");
    GaugeSnapshot.Builder ready =
        GaugeSnapshot.builder()
            .name(READY)
            .help("Ready, unblocked proxies each fleet publishes (status.readyReplicas).");
    GaugeSnapshot.Builder blocked =
        GaugeSnapshot.builder()
            .name(BLOCKED)
            .help("Proxies whose IP is in a blocklist (status.blockedReplicas).");
    GaugeSnapshot.Builder held =
        GaugeSnapshot.builder()
            .name(HELD)
            .help(
                "Rotations held back now because the fleet's rotation budget is spent (status.rotationsHeld).");
    GaugeSnapshot.Builder burned =
        GaugeSnapshot.builder()
            .name(BURNED)
            .help(
                "1 for each region the fleet considers burned (status.burnedRegions): its share is placed elsewhere until it recovers.");
    GaugeSnapshot.Builder blockedPercent =
        GaugeSnapshot.builder()
            .name(REGION_BLOCKED_PERCENT)
            .help(
                "Share of each fleet region's published address space its blocklists cover, percent (status.regions[].blockedPercent; absent when the provider publishes no ranges).");
    CounterSnapshot.Builder rotations =
        CounterSnapshot.builder()
            .name(ROTATIONS)
            .help(
                "Rotations each fleet started, by reason (from status.rotationsByReason: survives restarts and failovers).");
    for (ProxyFleet fleet : fleets) {
      Labels labels =
          labels(key(fleet.getMetadata().getNamespace(), fleet.getMetadata().getName()));
      ProxyFleetStatus status =
          fleet.getStatus() == null ? new ProxyFleetStatus() : fleet.getStatus();
      int replicas =
          fleet.getSpec() == null || fleet.getSpec().getReplicas() == null
              ? 0
              : fleet.getSpec().getReplicas();
      desired.dataPoint(
          GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(replicas).build());
      ready.dataPoint(
          GaugeSnapshot.GaugeDataPointSnapshot.builder()
              .labels(labels)
              .value(orZero(status.getReadyReplicas()))
              .build());
      blocked.dataPoint(
          GaugeSnapshot.GaugeDataPointSnapshot.builder()
              .labels(labels)
              .value(orZero(status.getBlockedReplicas()))
              .build());
      held.dataPoint(
          GaugeSnapshot.GaugeDataPointSnapshot.builder()
              .labels(labels)
              .value(orZero(status.getRotationsHeld()))
              .build());
      if (status.getBurnedRegions() != null) {
        status.getBurnedRegions().stream()
            .filter(b -> b.getRegion() != null)
            .map(
                b ->
                    labels
                        .add("cloud_profile", Objects.requireNonNullElse(b.getCloudProfile(), ""))
                        .add("region", b.getRegion()))
            .distinct()
            .forEach(
                l ->
                    burned.dataPoint(
                        GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(l).value(1).build()));
      }
      if (status.getRegions() != null) {
        java.util.Set<Labels> seen = new java.util.HashSet<>();
        for (io.proxyfleet.api.RegionStatus region : status.getRegions()) {
          if (region.getRegion() == null
              || region.getBlockedPercent() == null
              || region.getBlockedPercent().isBlank()) continue;
          Labels regionLabels =
              labels
                  .add("cloud_profile", Objects.requireNonNullElse(region.getCloudProfile(), ""))
                  .add("region", region.getRegion());
          try {
            double percent = Double.parseDouble(region.getBlockedPercent());
            // A duplicate series would fail the whole scrape; the first entry wins.
            if (seen.add(regionLabels)) {
              blockedPercent.dataPoint(
                  GaugeSnapshot.GaugeDataPointSnapshot.builder()
                      .labels(regionLabels)
                      .value(percent)
                      .build());
            }
          } catch (NumberFormatException e) {
            // A value the reconciler did not write is left out rather than failing the scrape.
          }
        }
      }
      if (status.getRotationsByReason() != null) {
        new TreeMap<>(status.getRotationsByReason())
            .forEach(
                (reason, n) ->
                    rotations.dataPoint(
                        CounterSnapshot.CounterDataPointSnapshot.builder()
                            .labels(labels.add("reason", reason))
                            .value(n == null ? 0 : n)
                            .build()));
      }
    }
    return MetricSnapshots.of(
        byPhase.build(),
        desired.build(),
        ready.build(),
        blocked.build(),
        held.build(),
        burned.build(),
        blockedPercent.build(),
        rotations.build());
  }

  private static double orZero(Integer n) {
    return n == null ? 0 : n;
  }

  private static String key(String namespace, String fleet) {
    return namespace + "/" + fleet;
  }

  private static Labels labels(String key) {
    int slash = key.indexOf('/');
    return Labels.of("namespace", key.substring(0, slash), "fleet", key.substring(slash + 1));
  }

  @Override
  public void close() {
    concat(fleets, proxies).forEach(SharedIndexInformer::stop);
  }
}
