package io.proxyfleet.realserver;

import static io.proxyfleet.realserver.RealServerFixtures.apply;
import static io.proxyfleet.realserver.RealServerFixtures.blocklist;
import static io.proxyfleet.realserver.RealServerFixtures.fleet;
import static io.proxyfleet.realserver.RealServerFixtures.profile;
import static io.proxyfleet.realserver.RealServerFixtures.proxies;
import static io.proxyfleet.realserver.RealServerFixtures.serving;
import static io.proxyfleet.realserver.RealServerFixtures.settled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.chart.RenderedChart;
import io.proxyfleet.testing.FeedServer;
import io.proxyfleet.testing.kube.KubeApiServer;
import io.proxyfleet.testing.kube.OperatorProcess;
import io.proxyfleet.testing.kube.RealKube;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's /healthz, /readyz and /metrics as the kubelet and Prometheus see them: live but
 * not ready while its informers cannot sync, ready once they have (the standby too), metrics that
 * follow a fleet through a rotation, and every metric the Grafana dashboard queries.
 */
@ExtendWith(RealKube.class)
class RuntimeEndpointsRealServerTest {

  static final String NS = "runtime-endpoints";
  static final String SA = "endpoints-operator";
  static final Duration TIMEOUT = RealKube.TIMEOUT;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void notReadyBeforeInformersSyncThenReadyOnLeaderAndStandbyWithFleetMetrics(
      KubeApiServer server, @TempDir Path work) throws Exception {
    KubernetesClient admin = server.admin();
    ShippedOperator.installRbac(admin);
    RealServerFixtures.namespace(admin, NS);
    // A ServiceAccount with no binding yet: the operator cannot list anything, so its informers can
    // never sync. That is the state /readyz must refuse.
    admin
        .serviceAccounts()
        .inNamespace(NS)
        .resource(new ServiceAccountBuilder().withNewMetadata().withName(SA).endMetadata().build())
        .createOr(NonDeletingOperation::update);
    String token = server.serviceAccountToken(NS, SA, Duration.ofHours(1));
    Path kubeconfig = server.writeKubeconfig(work.resolve("endpoints.kubeconfig"), token, NS);
    try (FeedServer feeds = new FeedServer();
        OperatorProcess leader =
            ShippedOperator.start(
                kubeconfig,
                RealKube.logFile("RuntimeEndpointsRealServerTest", "leader"),
                "ep-leader",
                NS)) {
      await().atMost(TIMEOUT).ignoreExceptions().until(() -> status(leader, "/healthz") == 200);
      await().atMost(TIMEOUT).until(() -> leader.log().contains("could not start"));
      assertThat(status(leader, "/readyz")).as(leader.log()).isEqualTo(503);
      assertThat(status(leader, "/healthz")).isEqualTo(200);
      assertThat(body(leader, "/metrics")).contains("proxyfleet_leader 0.0");

      admin
          .rbac()
          .clusterRoleBindings()
          .resource(
              new ClusterRoleBindingBuilder()
                  .withNewMetadata()
                  .withName(SA)
                  .endMetadata()
                  .withNewRoleRef(
                      "rbac.authorization.k8s.io", "ClusterRole", ShippedOperator.SERVICE_ACCOUNT)
                  .addNewSubject()
                  .withKind("ServiceAccount")
                  .withName(SA)
                  .withNamespace(NS)
                  .endSubject()
                  .build())
          .createOr(NonDeletingOperation::update);
      // The supervisor retries with backoff capped at 30 s.
      await().atMost(Duration.ofSeconds(90)).until(() -> status(leader, "/readyz") == 200);
      await()
          .atMost(TIMEOUT)
          .until(() -> body(leader, "/metrics").contains("proxyfleet_leader 1.0"));

      try (OperatorProcess standby =
          ShippedOperator.start(
              kubeconfig,
              RealKube.logFile("RuntimeEndpointsRealServerTest", "standby"),
              "ep-standby",
              NS)) {
        await().atMost(TIMEOUT).ignoreExceptions().until(() -> status(standby, "/readyz") == 200);
        assertThat(body(standby, "/metrics")).contains("proxyfleet_leader 0.0");

        apply(admin, blocklist("ep-manual"));
        // A URL source, so the blocklist freshness metrics have something to report.
        feeds.content(
            "/ep.lst",
            "198.51.100.0/24\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
            "\"v1\"",
            null);
        apply(
            admin,
            """
            apiVersion: proxyfleet.io/v1alpha1
            kind: Blocklist
            metadata: {name: ep-feed}
            spec:
              sources: [{name: feed, url: "%s", format: ip-list, refreshInterval: 10m}]
            """
                .formatted(feeds.url("/ep.lst")));
        apply(admin, profile(NS, "local"));
        apply(
            admin,
            fleet(NS, "ep", 2, "local", List.of("local-171", "local-172"), List.of("ep-manual")));
        await().atMost(TIMEOUT).until(() -> settled(admin, NS, "ep", 2));
        String victimIp = proxies(admin, NS, "ep").get(0).getStatus().getPublicIp();
        apply(admin, blocklist("ep-manual", victimIp + "/32"));
        await()
            .atMost(TIMEOUT)
            .until(
                () ->
                    serving(admin, NS, "ep").size() == 2
                        && serving(admin, NS, "ep").stream()
                            .map(Proxy::getStatus)
                            .noneMatch(s -> victimIp.equals(s.getPublicIp())));

        for (OperatorProcess replica : List.of(leader, standby)) {
          await()
              .atMost(TIMEOUT)
              .untilAsserted(
                  () ->
                      assertThat(body(replica, "/metrics"))
                          .contains(
                              "proxyfleet_fleet_proxies{fleet=\"ep\",namespace=\""
                                  + NS
                                  + "\",phase=\"Running\"} 2.0")
                          .contains(
                              "proxyfleet_fleet_ready_proxies{fleet=\"ep\",namespace=\""
                                  + NS
                                  + "\"} 2.0")
                          .contains(
                              "proxyfleet_fleet_desired_proxies{fleet=\"ep\",namespace=\""
                                  + NS
                                  + "\"} 2.0")
                          .contains(
                              "proxyfleet_rotations_total{fleet=\"ep\",namespace=\""
                                  + NS
                                  + "\",reason=\"Blocked\"} 1.0")
                          // The rotation's latency, seen by every replica's informer.
                          .contains(
                              "proxyfleet_block_recovery_seconds_count{fleet=\"ep\",namespace=\""
                                  + NS
                                  + "\"} 1")
                          .doesNotContain(victimIp));
        }
        await()
            .atMost(TIMEOUT)
            .untilAsserted(
                () ->
                    assertThat(body(leader, "/metrics"))
                        .contains(
                            "proxyfleet_blocklist_source_refresh_interval_seconds{blocklist=\"ep-feed\",source=\"feed\"} 600.0")
                        .contains(
                            "proxyfleet_blocklist_source_last_success_timestamp_seconds{blocklist=\"ep-feed\",source=\"feed\"}")
                        .contains(
                            "proxyfleet_cloudprofile_credentials{namespace=\""
                                + NS
                                + "\",profile=\"local\",provider=\"local\",state=\"Valid\"} 1.0")
                        .contains("proxyfleet_blocklist_update_held{blocklist=\"ep-feed\"} 0.0")
                        // The leader launched the fleet's proxies through the local provider, each
                        // counted once.
                        .containsPattern(
                            "proxyfleet_cloud_api_calls_total\\{operation=\"launch\",outcome=\"success\",provider=\"local\"} [1-9]")
                        .contains("proxyfleet_gc_removals_total{kind=\"instance\"} 0.0"));
        // The dashboard shows only series a real scrape has (names as exposed, histogram buckets
        // included).
        String scrape = body(leader, "/metrics");
        java.util.regex.Matcher names =
            java.util.regex.Pattern.compile("\\b(proxyfleet|operator_sdk|jvm)_[a-z_]+")
                .matcher(
                    java.nio.file.Files.readString(
                        RenderedChart.CHART.resolve("files/dashboard.json")));
        java.util.Set<String> used = new java.util.TreeSet<>();
        while (names.find()) used.add(names.group());
        assertThat(used).hasSizeGreaterThan(10);
        // A burned region has a series only while it is burned (none is here), a region's blocked
        // share only
        // where the provider publishes its ranges (not the local provider); unit tests show both
        // exported.
        assertThat(used)
            .filteredOn(
                name ->
                    !name.equals("proxyfleet_fleet_region_burned")
                        && !name.equals("proxyfleet_fleet_region_blocked_percent"))
            .allSatisfy(
                name ->
                    assertThat(scrape)
                        .as("dashboard metric " + name)
                        .containsPattern("(?m)^" + name + "[{ ]"));
        // JOSDK's reconcile metrics come from the leader, the only replica that reconciles.
        assertThat(
                body(leader, "/metrics")
                    .lines()
                    .filter(
                        l ->
                            l.startsWith("operator_sdk_reconciliations_success_total{")
                                && l.contains("kind=\"ProxyFleet\"")))
            .singleElement()
            .satisfies(
                l ->
                    assertThat(Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                        .isPositive());

        admin.resources(ProxyFleet.class).inNamespace(NS).withName("ep").delete();
        await()
            .atMost(TIMEOUT)
            .until(
                () ->
                    RealServerFixtures.fleet(admin, NS, "ep") == null
                        && proxies(admin, NS, "ep").isEmpty());
        admin.resources(Blocklist.class).withName("ep-manual").delete();
        admin.resources(Blocklist.class).withName("ep-feed").delete();
        await().atMost(TIMEOUT).until(() -> !body(leader, "/metrics").contains("fleet=\"ep\""));
        assertThat(standby.forbiddenLines()).as("forbidden in the standby's log").isEmpty();
      }
    }
  }

  private int status(OperatorProcess operator, String path)
      throws IOException, InterruptedException {
    return http.send(
            HttpRequest.newBuilder(operator.url(path)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private String body(OperatorProcess operator, String path)
      throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(operator.url(path)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }
}
