package io.proxyfleet.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.gcp.GceCloudProviderFactory;
import io.proxyfleet.cloud.gcp.GcpSettings;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.local.CustomResourceDefinitions;
import io.proxyfleet.operator.KubernetesSecretReader;
import io.proxyfleet.operator.OperatorSettings;
import io.proxyfleet.operator.ProxyFleetOperator;
import io.proxyfleet.testing.gce.FakeCompute;
import io.proxyfleet.testing.gce.FakeCompute.Fault;
import io.proxyfleet.testing.gce.GcpTestCloud;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator end to end on Compute Engine as {@link FakeCompute} serves it: real JOSDK
 * controllers on the embedded API, the gcp provider with production settings (only the snapshot TTL
 * shortened), OAuth through the fake's token endpoint. Each test uses its own fleet.
 */
class GcpFleetOperatorTest {

  static final String CLUSTER = "gce-operator-test";
  static final String EU3 = "europe-west3";
  static final String EU1 = "europe-west1";
  static final Duration TIMEOUT = Duration.ofMinutes(2);

  static FakeCompute fake;
  static EmbeddedKubernetes api;
  static KubernetesClient client;
  static CloudProviders providers;
  static ProxyFleetOperator operator;

  @BeforeAll
  static void start() {
    fake = new FakeCompute("proxy-project-1");
    String key =
        GcpTestCloud.serviceAccountKey(
            fake, "proxyfleet@proxy-project-1.iam.gserviceaccount.com", true);
    String stranger =
        GcpTestCloud.serviceAccountKey(
            fake, "stranger@proxy-project-1.iam.gserviceaccount.com", false);
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    api.installCrds(CustomResourceDefinitions.all());
    client = api.client();
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build())
        .createOr(NonDeletingOperation::update);
    client
        .secrets()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(GcpTestCloud.SECRET)
                .withNamespace("default")
                .endMetadata()
                .addToStringData("key.json", key)
                .build())
        .createOr(NonDeletingOperation::update);
    client
        .secrets()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("stranger-key")
                .withNamespace("default")
                .endMetadata()
                .addToStringData("key.json", stranger)
                .build())
        .createOr(NonDeletingOperation::update);
    GcpSettings settings = GcpSettings.defaults().withSnapshotTtl(Duration.ofSeconds(1));
    providers =
        new CloudProviders(
            List.of(
                new GceCloudProviderFactory(
                    CLUSTER,
                    new KubernetesSecretReader(client),
                    settings,
                    Clock.systemUTC(),
                    new Random(11))));
    operator =
        new ProxyFleetOperator(
            client,
            providers,
            new OperatorSettings(
                CLUSTER,
                10,
                8,
                Clock.systemUTC(),
                new SplittableRandom(7),
                new SecureRandom(),
                new io.proxyfleet.blocklist.SourceAccess("default", OperatorSettings.LOOPBACK)),
            Optional.empty());
    operator.start();
    apply(profile("gcp", "Static", GcpTestCloud.SECRET));
    apply(profile("gcp-ephemeral", "Ephemeral", GcpTestCloud.SECRET));
  }

  @AfterAll
  static void stop() {
    try {
      if (operator != null) {
        operator.close();
      }
    } finally {
      if (providers != null) {
        providers.close();
      }
      if (client != null) {
        client.close();
      }
      if (api != null) {
        api.close();
      }
      fake.close();
    }
  }

  static void apply(String yaml) {
    client
        .load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
        .items()
        .forEach(item -> client.resource(item).createOr(NonDeletingOperation::update));
  }

  static String profile(String name, String mode, String secret) {
    return """
        apiVersion: proxyfleet.io/v1alpha1
        kind: CloudProfile
        metadata: {name: %s, namespace: default}
        spec:
          provider: gcp
          gcp:
            project: proxy-project-1
            endpoint: %s
            credentialsSecret: {name: %s}
            addressMode: %s
            regions:
              - {name: europe-west3}
              - {name: europe-west1, zones: [europe-west1-b, europe-west1-c]}
          tags: {team: Net.Ops}
        """
        .formatted(name, fake.endpoint(), secret, mode);
  }

  static String blocklist(String name, List<String> cidrs) {
    return "apiVersion: proxyfleet.io/v1alpha1\nkind: Blocklist\nmetadata: {name: "
        + name
        + "}\nspec:\n  cidrs: ["
        + String.join(", ", cidrs.stream().map(c -> "\"" + c + "\"").toList())
        + "]\n";
  }

  static String fleet(
      String name, int replicas, String profile, List<String> regions, String list) {
    return """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: %s, namespace: default}
        spec:
          replicas: %d
          protocol: socks5
          port: 1080
          placement: [{cloudProfile: %s, regions: [%s]}]
          blocklists: [%s]
        """
        .formatted(name, replicas, profile, String.join(", ", regions), list);
  }

  static List<Proxy> proxies(String fleet) {
    return client
        .resources(Proxy.class)
        .inNamespace("default")
        .withLabel("proxyfleet.io/fleet", fleet)
        .list()
        .getItems();
  }

  static List<Proxy> running(String fleet) {
    return proxies(fleet).stream()
        .filter(
            p ->
                p.getMetadata().getDeletionTimestamp() == null
                    && p.getStatus() != null
                    && p.getStatus().getPhase() == ProxyPhase.Running
                    && p.getStatus().getBlockedBy() == null
                    && p.getStatus().getPublicIp() != null)
        .toList();
  }

  static boolean ready(String name, int replicas) {
    ProxyFleet f = client.resources(ProxyFleet.class).inNamespace("default").withName(name).get();
    return f != null
        && f.getStatus() != null
        && f.getStatus().getReadyReplicas() != null
        && f.getStatus().getReadyReplicas() == replicas
        && running(name).size() == replicas;
  }

  static Map<String, JsonNode> instancesOf(String fleet) {
    return fake.instances().entrySet().stream()
        .filter(
            e ->
                e.getValue()
                    .path("labels")
                    .path("proxyfleet-fleet")
                    .asText()
                    .equals("default_" + fleet))
        .collect(
            Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
  }

  static Map<String, JsonNode> addressesOf(String fleet) {
    return fake.addresses().entrySet().stream()
        .filter(
            e ->
                e.getValue()
                    .path("labels")
                    .path("proxyfleet-fleet")
                    .asText()
                    .equals("default_" + fleet))
        .collect(
            Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
  }

  @Test
  void aFleetAcrossTwoRegionsAndSeveralZonesComesUpLabelledWithOneAddressPerProxy() {
    apply(blocklist("spread-list", List.of()));
    apply(fleet("spread", 6, "gcp", List.of(EU3, EU1), "spread-list"));
    await().atMost(TIMEOUT).until(() -> ready("spread", 6));

    List<Proxy> proxies = proxies("spread");
    assertThat(proxies.stream().map(p -> p.getSpec().getRegion()).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder(EU3, EU1);
    assertThat(proxies.stream().map(p -> p.getStatus().getZone()).distinct().count())
        .as("spread over zones")
        .isGreaterThanOrEqualTo(4);
    assertThat(proxies)
        .filteredOn(p -> p.getSpec().getRegion().equals(EU1))
        .allSatisfy(
            p -> assertThat(p.getStatus().getZone()).isIn("europe-west1-b", "europe-west1-c"));
    Map<String, JsonNode> instances = instancesOf("spread");
    Map<String, JsonNode> addresses = addressesOf("spread");
    assertThat(instances).hasSize(6);
    assertThat(addresses).hasSize(6);
    for (Proxy p : proxies) {
      JsonNode i = instances.get(p.getStatus().getInstanceId());
      assertThat(i).as(p.getStatus().getInstanceId()).isNotNull();
      assertThat(i.path("labels").path("proxyfleet-proxy").asText())
          .isEqualTo(p.getMetadata().getUid());
      assertThat(i.path("labels").path("proxyfleet-cluster").asText()).isEqualTo(CLUSTER);
      assertThat(i.path("labels").path("team").asText()).isEqualTo("net_ops");
      assertThat(
              i.path("networkInterfaces")
                  .path(0)
                  .path("accessConfigs")
                  .path(0)
                  .path("natIP")
                  .asText())
          .isEqualTo(p.getStatus().getPublicIp());
      assertThat(addresses.values())
          .filteredOn(
              a ->
                  a.path("labels")
                      .path("proxyfleet-proxy")
                      .asText()
                      .equals(p.getMetadata().getUid()))
          .singleElement()
          .satisfies(
              a -> {
                assertThat(a.path("address").asText()).isEqualTo(p.getStatus().getPublicIp());
                assertThat(a.path("status").asText()).isEqualTo("IN_USE");
              });
    }
    CloudProfile profile =
        client.resources(CloudProfile.class).inNamespace("default").withName("gcp").get();
    assertThat(profile.getStatus().getRegions()).containsExactly(EU3, EU1);
    assertThat(profile.getStatus().getConditions())
        .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
  }

  @Test
  void aBlockedRangeRotatesToCleanAddressesOnTheSameVmsInBothAddressModes() {
    for (String mode : List.of("gcp", "gcp-ephemeral")) {
      String name = "rot-" + (mode.equals("gcp") ? "static" : "ephemeral");
      apply(blocklist(name + "-list", List.of()));
      // Every address drawn at first comes from one published /20 of the region, which is then
      // blocked.
      String burned =
          fake.publishedRanges(EU3).stream()
              .filter(c -> c.endsWith("/20"))
              .findFirst()
              .orElseThrow();
      fake.drawFrom(EU3, burned);
      apply(fleet(name, 3, mode, List.of(EU3), name + "-list"));
      await().atMost(TIMEOUT).until(() -> ready(name, 3));
      fake.drawFrom(EU3, null);
      Map<String, String> vms =
          proxies(name).stream()
              .collect(
                  Collectors.toMap(
                      p -> p.getMetadata().getName(), p -> p.getStatus().getInstanceId()));
      long inserts = fake.count("compute.instances.insert");
      fake.resetCalls();
      long t0 = System.nanoTime();
      client
          .resources(Blocklist.class)
          .withName(name + "-list")
          .edit(
              b -> {
                b.getSpec().setCidrs(List.of(burned));
                return b;
              });
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  running(name).size() == 3
                      && running(name).stream()
                          .noneMatch(p -> inRange(p.getStatus().getPublicIp(), burned)));
      long millis = (System.nanoTime() - t0) / 1_000_000;
      Map<String, Long> used =
          fake.calls().stream()
              .filter(c -> c.permission() != null)
              .collect(
                  Collectors.groupingBy(
                      FakeCompute.Call::method, TreeMap::new, Collectors.counting()));
      io.proxyfleet.cloud.gcp.GceCloudProvider provider =
          (io.proxyfleet.cloud.gcp.GceCloudProvider)
              providers.forProfile(
                  client.resources(CloudProfile.class).inNamespace("default").withName(mode).get());
      System.out.printf(
          "GCE %s mode: rotating 3 proxies off a blocked range took %d ms, %d calls %s; last no-address gap %d ms%n",
          mode.equals("gcp") ? "Static" : "Ephemeral",
          millis,
          used.values().stream().mapToLong(Long::longValue).sum(),
          used,
          provider.lastSwapGap() == null ? -1 : provider.lastSwapGap().toMillis());
      assertThat(
              proxies(name).stream()
                  .collect(
                      Collectors.toMap(
                          p -> p.getMetadata().getName(), p -> p.getStatus().getInstanceId())))
          .as("same proxies on the same VMs")
          .isEqualTo(vms);
      assertThat(fake.count("compute.instances.insert")).as("rotation keeps the VMs").isZero();
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () ->
                  assertThat(addressesOf(name))
                      .as("one address per proxy (none in Ephemeral mode)")
                      .hasSize(mode.equals("gcp") ? 3 : 0));
      assertThat(inserts).isPositive();
    }
  }

  static boolean inRange(String ip, String cidr) {
    io.proxyfleet.block.IpRange r = io.proxyfleet.block.IpAddresses.parseRange(cidr);
    long v = io.proxyfleet.block.IpAddresses.parseIpv4(ip);
    return v >= r.startLo() && v <= r.endLo();
  }

  @Test
  void zoneExhaustedMovesTheLaunchAndTheProxySaysWhereItRuns() {
    fake.inject(
        c ->
            c.method().equals("compute.instances.insert")
                && c.path().contains("/zones/europe-west1-b/"),
        Fault.operation(
            "ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS",
            "The zone 'projects/proxy-project-1/zones/europe-west1-b' does not"
                + " have enough resources available to fulfill the request."),
        Integer.MAX_VALUE);
    try {
      apply(blocklist("zone-list", List.of()));
      apply(fleet("zone", 2, "gcp", List.of(EU1), "zone-list"));
      await().atMost(TIMEOUT).until(() -> ready("zone", 2));
      assertThat(proxies("zone"))
          .allSatisfy(p -> assertThat(p.getStatus().getZone()).isEqualTo("europe-west1-c"));
      assertThat(instancesOf("zone").keySet()).allMatch(k -> k.startsWith("europe-west1-c/"));
    } finally {
      fake.clearFaults();
    }
  }

  @Test
  void anAddressQuotaRaisesTheFleetConditionAndLeaksNothing() {
    fake.inject(
        "compute.addresses.insert",
        Fault.operation(
            "QUOTA_EXCEEDED",
            "Quota 'STATIC_ADDRESSES' exceeded.  Limit: 8.0 in region europe-west3."),
        Integer.MAX_VALUE);
    try {
      apply(blocklist("quota-list", List.of()));
      apply(fleet("quota", 1, "gcp", List.of(EU3), "quota-list"));
      await()
          .atMost(TIMEOUT)
          .until(
              () -> {
                ProxyFleet f =
                    client
                        .resources(ProxyFleet.class)
                        .inNamespace("default")
                        .withName("quota")
                        .get();
                return f != null
                    && f.getStatus() != null
                    && f.getStatus().getConditions().stream()
                        .anyMatch(
                            c ->
                                c.getType().equals("Degraded")
                                    && c.getStatus().equals("True")
                                    && c.getReason().equals("QuotaExceeded"));
              });
      assertThat(addressesOf("quota")).isEmpty();
    } finally {
      fake.clearFaults();
    }
    client.resources(ProxyFleet.class).inNamespace("default").withName("quota").delete();
    await().atMost(TIMEOUT).until(() -> proxies("quota").isEmpty());
    assertThat(instancesOf("quota")).isEmpty();
    assertThat(addressesOf("quota")).isEmpty();
  }

  @Test
  void refusedCredentialsGiveAConditionAndFewCalls() {
    long tokensBefore =
        fake.calls().stream().filter(c -> c.method().equals("oauth2.token")).count();
    apply(profile("gcp-stranger", "Static", "stranger-key"));
    await()
        .atMost(TIMEOUT)
        .until(
            () -> {
              CloudProfile p =
                  client
                      .resources(CloudProfile.class)
                      .inNamespace("default")
                      .withName("gcp-stranger")
                      .get();
              return p != null
                  && p.getStatus() != null
                  && p.getStatus().getConditions().stream()
                      .anyMatch(
                          c ->
                              c.getType().equals("Ready")
                                  && c.getStatus().equals("False")
                                  && c.getReason().equals("Unauthorized"));
            });
    CloudProfile p =
        client.resources(CloudProfile.class).inNamespace("default").withName("gcp-stranger").get();
    assertThat(p.getStatus().getCredentials()).isEqualTo("Invalid");
    assertThat(p.getStatus().getConditions().toString()).doesNotContain("PRIVATE KEY");
    long tokens =
        fake.calls().stream().filter(c -> c.method().equals("oauth2.token")).count() - tokensBefore;
    assertThat(tokens).as("no hot loop against the token endpoint").isLessThanOrEqualTo(6);
  }

  @Test
  void deletingAFleetLeavesNoInstanceAndNoAddress() {
    apply(blocklist("gone-list", List.of()));
    apply(fleet("gone", 4, "gcp", List.of(EU3, EU1), "gone-list"));
    await().atMost(TIMEOUT).until(() -> ready("gone", 4));
    assertThat(instancesOf("gone")).hasSize(4);
    client.resources(ProxyFleet.class).inNamespace("default").withName("gone").delete();
    await().atMost(TIMEOUT).until(() -> proxies("gone").isEmpty());
    assertThat(instancesOf("gone")).isEmpty();
    assertThat(addressesOf("gone")).isEmpty();
  }

  @Test
  void aTwentyProxyFleetReachesRunningAndASteadyResyncCostsTheSameForAnySize() throws Exception {
    apply(blocklist("big-list", List.of()));
    fake.resetCalls();
    long t0 = System.nanoTime();
    apply(fleet("big", 20, "gcp", List.of(EU3), "big-list"));
    await().atMost(Duration.ofMinutes(4)).until(() -> ready("big", 20));
    long millis = (System.nanoTime() - t0) / 1_000_000;
    System.out.printf(
        "GCE 20-proxy fleet: all Running after %d ms, %d Compute calls%n",
        millis, fake.calls().stream().filter(c -> c.permission() != null).count());
    assertThat(instancesOf("big")).hasSize(20);
    Set<String> ips =
        proxies("big").stream().map(q -> q.getStatus().getPublicIp()).collect(Collectors.toSet());
    assertThat(ips).hasSize(20);
    // One address per proxy. (A listing stored after another proxy's attach once made a proxy draw
    // a
    // second one; snapshots now carry a generation, and the two-region test asserts it at once.)
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(
                        addressesOf("big").values().stream()
                            .map(a -> a.path("address").asText())
                            .collect(Collectors.toSet()))
                    .isEqualTo(ips));

    // Steady state: Compute calls in a 10 s window with nothing to do. Reads are served from
    // per-region
    // listings (one per zone for instances, one for addresses, per snapshot TTL), so the count does
    // not
    // grow with the number of proxies.
    fake.resetCalls();
    Thread.sleep(10_000);
    Map<String, Long> steady =
        fake.calls().stream()
            .filter(c -> c.permission() != null)
            .collect(
                Collectors.groupingBy(
                    FakeCompute.Call::method, TreeMap::new, Collectors.counting()));
    System.out.printf(
        "GCE steady state, 20-proxy fleet (+%d other proxies), 10 s: %s%n",
        fake.instances().size() - 20, steady);
    assertThat(steady.keySet())
        .as("nothing but listings when nothing changes")
        .allMatch(m -> m.endsWith(".list") || m.endsWith(".get"));
  }

  @Test
  void responsesLostRightAfterInsertsLeaveExactlyOneInstanceAndOneAddressPerProxy() {
    // As if the operator process died right after sending instances.insert / addresses.insert: GCE
    // carried the request out, the operator never heard back. The next pass must adopt, not
    // duplicate.
    fake.inject("compute.instances.insert", Fault.lostResponse(), 3);
    fake.inject("compute.addresses.insert", Fault.lostResponse(), 3);
    try {
      apply(blocklist("crash-list", List.of()));
      apply(fleet("crash", 3, "gcp", List.of(EU3), "crash-list"));
      await().atMost(TIMEOUT).until(() -> ready("crash", 3));
      // An address whose insert answer was lost may show up only after its proxy drew another: the
      // collector releases it, as an extra address of a serving proxy (here without the minimum age
      // the timer's pass waits for).
      fake.clearFaults();
      new io.proxyfleet.gc.GarbageCollector(
              client,
              providers,
              new io.proxyfleet.events.EventRecorder(client, Clock.systemUTC(), "test"),
              Clock.systemUTC(),
              CLUSTER,
              Duration.ZERO)
          .collect();
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                Map<String, JsonNode> instances = instancesOf("crash");
                assertThat(instances).hasSize(3);
                assertThat(
                        instances.values().stream()
                            .map(i -> i.path("labels").path("proxyfleet-proxy").asText())
                            .distinct())
                    .hasSize(3);
                Map<String, JsonNode> addresses = addressesOf("crash");
                assertThat(
                        addresses.values().stream()
                            .map(a -> a.path("labels").path("proxyfleet-proxy").asText())
                            .distinct()
                            .count())
                    .isEqualTo(3);
                assertThat(addresses)
                    .as(
                        "the address of a lost answer is adopted, the others released: one per proxy")
                    .hasSize(3);
              });
    } finally {
      fake.clearFaults();
    }
  }

  @Test
  void orphansAreCollectedByLabelAfterTheMinimumAgeAlsoInARegionNoProfileListsAnyMore() {
    java.time.Instant old = java.time.Instant.now().minus(Duration.ofHours(2));
    fake.putInstance(
        "europe-west3-a",
        "orphan-vm",
        Map.of("proxyfleet-cluster", CLUSTER, "proxyfleet-proxy", "no-such-uid"),
        old);
    fake.putInstance(
        "us-central1-a",
        "orphan-dropped-region",
        Map.of("proxyfleet-cluster", CLUSTER, "proxyfleet-proxy", "gone-uid"),
        old);
    fake.putAddress(
        "europe-west1",
        "orphan-addr",
        Map.of("proxyfleet-cluster", CLUSTER, "proxyfleet-proxy", "no-such-uid"),
        old);
    fake.putInstance(
        "europe-west3-b",
        "young-orphan",
        Map.of("proxyfleet-cluster", CLUSTER, "proxyfleet-proxy", "young"),
        java.time.Instant.now());
    fake.putInstance("europe-west3-c", "unlabelled-vm", Map.of(), old);
    fake.putInstance(
        "europe-west3-c",
        "other-cluster-vm",
        Map.of("proxyfleet-cluster", "other", "proxyfleet-proxy", "x"),
        old);
    fake.putAddress("europe-west3", "unlabelled-addr", Map.of(), old);
    io.proxyfleet.gc.GarbageCollector collector =
        new io.proxyfleet.gc.GarbageCollector(
            client,
            providers,
            new io.proxyfleet.events.EventRecorder(client, Clock.systemUTC(), "test"),
            Clock.systemUTC(),
            CLUSTER,
            Duration.ofMinutes(5));
    io.proxyfleet.gc.GarbageCollector.Report report = collector.collect();
    assertThat(report.errors())
        .as("only the profile with the refused key (another test's) fails")
        .allMatch(e -> e.startsWith("default/gcp-stranger ") && e.contains("UNAUTHORIZED"));
    assertThat(report.terminatedInstances())
        .containsExactlyInAnyOrder(
            "europe-west3/europe-west3-a/orphan-vm",
            "us-central1/us-central1-a/orphan-dropped-region");
    assertThat(report.releasedAddresses()).hasSize(1);
    assertThat(fake.instances())
        .doesNotContainKeys("europe-west3-a/orphan-vm", "us-central1-a/orphan-dropped-region")
        .containsKeys(
            "europe-west3-b/young-orphan",
            "europe-west3-c/unlabelled-vm",
            "europe-west3-c/other-cluster-vm");
    assertThat(fake.addresses())
        .doesNotContainKey("europe-west1/orphan-addr")
        .containsKey("europe-west3/unlabelled-addr");
  }

  @Test
  void placementAvoidsARegionWhoseGooglePublishedRangesAreBlocked() {
    // Block every prefix Google publishes for europe-west1 in cloud.json: its share goes to
    // europe-west3.
    apply(blocklist("burned-list", fake.publishedRanges(EU1)));
    apply(fleet("avoid", 2, "gcp", List.of(EU3, EU1), "burned-list"));
    await().atMost(TIMEOUT).until(() -> ready("avoid", 2));
    assertThat(proxies("avoid"))
        .allSatisfy(p -> assertThat(p.getSpec().getRegion()).isEqualTo(EU3));
    ProxyFleet f =
        client.resources(ProxyFleet.class).inNamespace("default").withName("avoid").get();
    assertThat(f.getStatus().getRegions())
        .filteredOn(r -> r.getRegion().equals(EU1))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getBlockedPercent()).isEqualTo("100.00%");
              assertThat(r.getUnavailable()).isNotBlank();
            });
    assertThat(f.getStatus().getRegions())
        .filteredOn(r -> r.getRegion().equals(EU3))
        .singleElement()
        .satisfies(r -> assertThat(r.getBlockedPercent()).isEqualTo("0.00%"));
  }

  @Test
  void throttlingOnEveryThirdCallConvergesWithNoZoneMarkedUnavailable() {
    io.proxyfleet.cloud.CloudProvider provider =
        providers.forProfile(
            client.resources(CloudProfile.class).inNamespace("default").withName("gcp").get());
    // Zones another test emptied stay held for the hold period; throttling must add none.
    Set<String> heldEu3 = Set.copyOf(provider.unavailableZones(EU3));
    Set<String> heldEu1 = Set.copyOf(provider.unavailableZones(EU1));
    fake.injectEvery(
        c -> c.method().startsWith("compute."),
        3,
        Fault.http(403, "rateLimitExceeded", "Rate Limit Exceeded"));
    try {
      apply(blocklist("throttled-list", List.of()));
      apply(fleet("throttled", 4, "gcp", List.of(EU3, EU1), "throttled-list"));
      await().atMost(TIMEOUT).until(() -> ready("throttled", 4));
      assertThat(instancesOf("throttled")).hasSize(4);
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(addressesOf("throttled")).hasSize(4));
      assertThat(provider.unavailableZones(EU3)).isEqualTo(heldEu3);
      assertThat(provider.unavailableZones(EU1)).isEqualTo(heldEu1);
      assertThat(proxies("throttled"))
          .allSatisfy(
              p ->
                  assertThat(p.getStatus().getConditions().toString())
                      .doesNotContain("CapacityUnavailable"));
    } finally {
      fake.clearFaults();
    }
  }
}
