package io.proxyfleet.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.proxyfleet.api.ApiGroup;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyFleetSpec;
import io.proxyfleet.api.ProxyFleetStatus;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.api.ProxyStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class RuntimeServerTest {

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void probesFollowTheirChecksAndUnknownPathsAre404() throws Exception {
    AtomicBoolean live = new AtomicBoolean(true);
    AtomicBoolean ready = new AtomicBoolean(false);
    try (RuntimeServer server =
        RuntimeServer.start(
            "127.0.0.1",
            0,
            live::get,
            ready::get,
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
      assertThat(get(server, "/healthz").statusCode()).isEqualTo(200);
      assertThat(get(server, "/readyz").statusCode()).isEqualTo(503);
      ready.set(true);
      assertThat(get(server, "/readyz").statusCode()).isEqualTo(200);
      live.set(false);
      assertThat(get(server, "/healthz").statusCode()).isEqualTo(503);
      assertThat(get(server, "/healthzz").statusCode()).isEqualTo(404);
      assertThat(get(server, "/").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void aCheckThatThrowsIsNotReady() throws Exception {
    try (RuntimeServer server =
        RuntimeServer.start(
            "127.0.0.1",
            0,
            () -> true,
            () -> {
              throw new IllegalStateException("operator gone");
            },
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
      assertThat(get(server, "/readyz").statusCode()).isEqualTo(503);
    }
  }

  @Test
  void metricsAreServedInPrometheusTextWithTheLeaderGauge() throws Exception {
    PrometheusMeterRegistry registry = OperatorMetrics.registry();
    AtomicBoolean leading = new AtomicBoolean(false);
    OperatorMetrics.leader(registry, leading::get);
    try (RuntimeServer server =
        RuntimeServer.start("127.0.0.1", 0, () -> true, () -> true, registry)) {
      HttpResponse<String> standby = get(server, "/metrics");
      assertThat(standby.statusCode()).isEqualTo(200);
      assertThat(standby.headers().firstValue("Content-Type"))
          .hasValue(RuntimeServer.PROMETHEUS_TEXT);
      assertThat(standby.body())
          .contains("# TYPE proxyfleet_leader gauge")
          .contains("proxyfleet_leader 0.0")
          .contains("jvm_memory_used_bytes");
      leading.set(true);
      assertThat(get(server, "/metrics").body()).contains("proxyfleet_leader 1.0");
    }
  }

  @Test
  void fleetMetricsCountPhasesPerFleetWithBoundedLabels() {
    ProxyFleet fleet = fleet("proxies", "tg", 3, 2, 1, Map.of("Blocked", 4L, "MaxAge", 1L));
    ProxyFleet empty = fleet("other", "idle", 0, 0, 0, Map.of());
    List<Proxy> proxies =
        List.of(
            proxy("proxies", "tg", ProxyPhase.Running),
            proxy("proxies", "tg", ProxyPhase.Running),
            proxy("proxies", "tg", ProxyPhase.Rotating),
            proxy("proxies", "tg", null),
            // A proxy whose fleet is gone (or not yet in the cache) must not invent a fleet series.
            proxy("proxies", "deleted", ProxyPhase.Running));
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(() -> FleetMetrics.snapshot(List.of(fleet, empty), proxies));
    PrometheusMeterRegistry meters =
        new PrometheusMeterRegistry(
            PrometheusConfig.DEFAULT, registry, io.micrometer.core.instrument.Clock.SYSTEM);

    String text = meters.scrape();

    assertThat(text)
        .contains(
            "proxyfleet_fleet_proxies{fleet=\"tg\",namespace=\"proxies\",phase=\"Running\"} 2.0")
        .contains(
            "proxyfleet_fleet_proxies{fleet=\"tg\",namespace=\"proxies\",phase=\"Rotating\"} 1.0")
        .contains(
            "proxyfleet_fleet_proxies{fleet=\"tg\",namespace=\"proxies\",phase=\"Pending\"} 1.0")
        .contains(
            "proxyfleet_fleet_proxies{fleet=\"idle\",namespace=\"other\",phase=\"Running\"} 0.0")
        .contains("proxyfleet_fleet_desired_proxies{fleet=\"tg\",namespace=\"proxies\"} 3.0")
        .contains("proxyfleet_fleet_ready_proxies{fleet=\"tg\",namespace=\"proxies\"} 2.0")
        .contains("proxyfleet_fleet_blocked_proxies{fleet=\"tg\",namespace=\"proxies\"} 1.0")
        .contains("# TYPE proxyfleet_rotations_total counter")
        .contains(
            "proxyfleet_rotations_total{fleet=\"tg\",namespace=\"proxies\",reason=\"Blocked\"} 4.0")
        .contains(
            "proxyfleet_rotations_total{fleet=\"tg\",namespace=\"proxies\",reason=\"MaxAge\"} 1.0")
        .contains(
            "proxyfleet_fleet_region_blocked_percent{cloud_profile=\"aws-prod\",fleet=\"tg\",namespace=\"proxies\",region=\"eu-central-1\"} 12.5")
        .doesNotContain("region=\"local-1\"")
        .doesNotContain("deleted");
    // Every proxyfleet_* series carries only bounded labels: never a proxy name or address.
    text.lines()
        .filter(l -> l.startsWith("proxyfleet_") && l.contains("{"))
        .forEach(
            l ->
                assertThat(l.substring(l.indexOf('{') + 1, l.indexOf('}')))
                    .matches(
                        "((fleet|namespace|phase|reason|cloud_profile|region)=\"[^\"]*\",?)+"));
    assertThat(text).doesNotContain("tg-proxy");
  }

  private static ProxyFleet fleet(
      String ns, String name, int replicas, int ready, int blocked, Map<String, Long> rotations) {
    ProxyFleet fleet = new ProxyFleet();
    fleet.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).build());
    ProxyFleetSpec spec = new ProxyFleetSpec();
    spec.setReplicas(replicas);
    fleet.setSpec(spec);
    ProxyFleetStatus status = new ProxyFleetStatus();
    status.setReadyReplicas(ready);
    status.setBlockedReplicas(blocked);
    status.setRotationsByReason(new java.util.LinkedHashMap<>(rotations));
    io.proxyfleet.api.RegionStatus region = new io.proxyfleet.api.RegionStatus();
    region.setCloudProfile("aws-prod");
    region.setRegion("eu-central-1");
    region.setBlockedPercent("12.50");
    io.proxyfleet.api.RegionStatus unpublished = new io.proxyfleet.api.RegionStatus();
    unpublished.setCloudProfile("local");
    unpublished.setRegion("local-1");
    status.setRegions(new java.util.ArrayList<>(List.of(region, unpublished)));
    fleet.setStatus(status);
    return fleet;
  }

  private static int serial;

  private static Proxy proxy(String ns, String fleet, ProxyPhase phase) {
    Proxy proxy = new Proxy();
    proxy.setMetadata(
        new ObjectMetaBuilder()
            .withNamespace(ns)
            .withName(fleet + "-proxy-" + serial++)
            .addToLabels(ApiGroup.FLEET_LABEL, fleet)
            .build());
    if (phase != null) {
      ProxyStatus status = new ProxyStatus();
      status.setPhase(phase);
      proxy.setStatus(status);
    }
    return proxy;
  }

  private HttpResponse<String> get(RuntimeServer server, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
