package io.proxyfleet.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.BlocklistSource;
import io.proxyfleet.api.BlocklistSourceStatus;
import io.proxyfleet.api.BlocklistSpec;
import io.proxyfleet.api.BlocklistStatus;
import io.proxyfleet.api.BurnedRegion;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.CloudProfileSpec;
import io.proxyfleet.api.CloudProfileStatus;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyFleetSpec;
import io.proxyfleet.api.ProxyFleetStatus;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The alert rules shipped in the chart: valid, unit-tested with {@code promtool test rules}, and
 * built only on metrics the operator really exports.
 */
class AlertRulesTest {

  static final Path RULES = Path.of("helm/proxyfleet/files/alerts.yaml");
  static final Path TESTS = Path.of("src/test/promtool/alerts-test.yaml");

  @Test
  void promtoolChecksAndUnitTestsEveryRule() throws Exception {
    Path promtool = promtool();
    assertThat(run(promtool.toString(), "check", "rules", RULES.toString()))
        .contains("SUCCESS: 10 rules found");
    assertThat(run(promtool.toString(), "test", "rules", TESTS.toString())).contains("SUCCESS");
    // Every alert has at least one test case that expects it to fire.
    String tests = Files.readString(TESTS);
    for (String alert : alerts()) {
      assertThat(tests)
          .as("a promtool test for " + alert)
          .containsPattern("alertname: " + alert + "\\s+exp_alerts:\\s+- exp_labels");
    }
  }

  @Test
  void everyMetricTheRulesUseIsExported() throws IOException {
    PrometheusMeterRegistry registry = OperatorMetrics.registry();
    OperatorMetrics.leader(registry, () -> true);
    registry
        .getPrometheusRegistry()
        .register(() -> FleetMetrics.snapshot(List.of(fleet()), List.of()));
    registry
        .getPrometheusRegistry()
        .register(() -> DependencyMetrics.snapshot(List.of(profile()), List.of(blocklist())));
    new CloudMetrics(registry).called("aws", "launch", "throttled");
    new ReachabilityMetrics(registry)
        .vantages(
            java.util.Map.of(
                "team/inside",
                new io.proxyfleet.vantage.ReachabilityObserver.VantageReport(
                    java.util.Map.of(io.proxyfleet.probe.ProbeOutcome.TIMEOUT, 2), false)));
    Set<String> exported = new TreeSet<>();
    registry
        .scrape()
        .lines()
        .filter(l -> !l.startsWith("#") && !l.isBlank())
        .forEach(l -> exported.add(l.split("[{ ]", 2)[0]));

    Matcher m = Pattern.compile("proxyfleet_[a-z_]+").matcher(Files.readString(RULES));
    Set<String> used = new TreeSet<>();
    while (m.find()) used.add(m.group());
    assertThat(used).hasSizeGreaterThan(6);
    assertThat(exported).containsAll(used);
    // The blocklist freshness alert needs both numbers for the same (blocklist, source).
    assertThat(registry.scrape())
        .contains(
            "proxyfleet_blocklist_source_refresh_interval_seconds{blocklist=\"rkn\",source=\"feed\"} 600.0")
        .contains(
            "proxyfleet_blocklist_source_last_success_timestamp_seconds{blocklist=\"rkn\",source=\"feed\"} 1.7E9")
        .contains(
            "proxyfleet_cloudprofile_credentials{namespace=\"p\",profile=\"aws-prod\",provider=\"aws\",state=\"Invalid\"} 1.0")
        .contains(
            "proxyfleet_cloudprofile_credentials{namespace=\"p\",profile=\"aws-prod\",provider=\"aws\",state=\"Valid\"} 0.0")
        .contains(
            "proxyfleet_fleet_region_burned{cloud_profile=\"aws-prod\",fleet=\"tg\",namespace=\"p\",region=\"eu-north-1\"} 1.0")
        .contains("proxyfleet_fleet_rotations_held{fleet=\"tg\",namespace=\"p\"} 3.0")
        .contains("proxyfleet_vantage_accepted{namespace=\"team\",vantage=\"inside\"} 0.0")
        .contains(
            "proxyfleet_vantage_results{namespace=\"team\",outcome=\"TIMEOUT\",vantage=\"inside\"} 2.0");
  }

  private static List<String> alerts() throws IOException {
    Matcher m = Pattern.compile("(?m)^\\s*- alert: (\\S+)$").matcher(Files.readString(RULES));
    List<String> names = new java.util.ArrayList<>();
    while (m.find()) names.add(m.group(1));
    assertThat(names).hasSize(10);
    return names;
  }

  private static ProxyFleet fleet() {
    ProxyFleet fleet = new ProxyFleet();
    fleet.setMetadata(new ObjectMetaBuilder().withNamespace("p").withName("tg").build());
    ProxyFleetSpec spec = new ProxyFleetSpec();
    spec.setReplicas(4);
    fleet.setSpec(spec);
    ProxyFleetStatus status = new ProxyFleetStatus();
    status.setRotationsHeld(3);
    BurnedRegion burned = new BurnedRegion();
    burned.setCloudProfile("aws-prod");
    burned.setRegion("eu-north-1");
    status.setBurnedRegions(List.of(burned));
    fleet.setStatus(status);
    return fleet;
  }

  private static CloudProfile profile() {
    CloudProfile profile = new CloudProfile();
    profile.setMetadata(new ObjectMetaBuilder().withNamespace("p").withName("aws-prod").build());
    CloudProfileSpec spec = new CloudProfileSpec();
    spec.setProvider("aws");
    profile.setSpec(spec);
    CloudProfileStatus status = new CloudProfileStatus();
    status.setCredentials(CloudProfileStatus.CREDENTIALS_INVALID);
    profile.setStatus(status);
    return profile;
  }

  private static Blocklist blocklist() {
    Blocklist blocklist = new Blocklist();
    blocklist.setMetadata(new ObjectMetaBuilder().withName("rkn").build());
    BlocklistSource source = new BlocklistSource();
    source.setName("feed");
    source.setUrl("https://example.org/rkn.lst");
    source.setFormat("ip-list");
    source.setRefreshInterval("10m");
    BlocklistSpec spec = new BlocklistSpec();
    spec.setSources(List.of(source));
    blocklist.setSpec(spec);
    BlocklistSourceStatus sourceStatus = new BlocklistSourceStatus();
    sourceStatus.setName("feed");
    sourceStatus.setLastSuccessTime("2023-11-14T22:13:20Z");
    BlocklistStatus status = new BlocklistStatus();
    status.setSources(List.of(sourceStatus));
    blocklist.setStatus(status);
    return blocklist;
  }

  /** promtool from Debian's prometheus package; CI must have it, a laptop may skip with a hint. */
  private static Path promtool() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "promtool");
      if (Files.isExecutable(candidate)) return candidate;
    }
    String message =
        "promtool not found on PATH: install Debian's prometheus package (apt-get install --no-install-recommends prometheus)";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(message + " (CI=true: failing instead of skipping)");
    }
    Assumptions.abort(message);
    return null;
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
