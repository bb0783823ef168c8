package io.proxyfleet.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyStatus;
import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.BlockIndexRegistry;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.local.LocalCloudProviderFactory;
import io.proxyfleet.cloud.local.LoopbackNetwork;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.local.CustomResourceDefinitions;
import io.proxyfleet.policy.BlockedFractions;
import io.proxyfleet.status.Conditions;
import io.proxyfleet.testing.reconcile.TestContexts;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fleet loop called directly, one pass at a time, on a fixed clock: the API is local mode's
 * embedded server, the informers are maps the test controls (they only know what the reconciler
 * wrote through them, as an informer that has not caught up yet), and API faults are injected in
 * the client.
 */
class FleetReconcilerTest {

  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  EmbeddedKubernetes api;
  KubernetesClient client;
  LoopbackNetwork network;
  CloudProviders providers;
  BlockIndexRegistry blocklists;
  FleetReconciler reconciler;

  /** Fails the POSTs of Proxies numbered [failFrom, failTo) (1-based, counted over the test). */
  final AtomicInteger proxyPosts = new AtomicInteger();

  /** PATCHes of Proxies (their metadata or status) the fleet sent. */
  final AtomicInteger proxyPatches = new AtomicInteger();

  volatile int failFrom = Integer.MAX_VALUE;
  volatile int failTo = Integer.MAX_VALUE;
  final Map<ResourceID, Proxy> proxyCache = new ConcurrentHashMap<>();
  final Map<ResourceID, Secret> secretCache = new ConcurrentHashMap<>();

  @BeforeEach
  void start() {
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    api.installCrds(CustomResourceDefinitions.all());
    Interceptor faults =
        new Interceptor() {
          @Override
          public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            if ("PATCH".equals(request.method()) && request.uri().getPath().contains("/proxies/")) {
              proxyPatches.incrementAndGet();
            }
            if ("POST".equals(request.method()) && request.uri().getPath().endsWith("/proxies")) {
              int n = proxyPosts.incrementAndGet();
              if (n >= failFrom && n < failTo) {
                throw new IllegalStateException(
                    "injected fault: connection reset on Proxy create #" + n);
              }
            }
          }
        };
    client =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder()
                    .withMasterUrl(api.url())
                    .withNamespace("default")
                    .withRequestRetryBackoffLimit(0)
                    .build())
            .withHttpClientFactory(new FaultyFactory(faults))
            .build();
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    network = new LoopbackNetwork(clock, new SplittableRandom(1));
    providers = new CloudProviders(List.of(new LocalCloudProviderFactory(network)));
    blocklists = new BlockIndexRegistry();
    blocklists.publish("manual", BlockIndex.EMPTY);
    reconciler = newReconciler(clock);
  }

  /** A reconciler with no memory of earlier passes: a new operator process. */
  FleetReconciler newReconciler(Clock clock) {
    FleetReconciler fresh =
        new FleetReconciler(
            providers,
            blocklists,
            new BlocklistSubscriptions(),
            new EventRecorder(client, clock, "test"),
            clock,
            new SplittableRandom(2),
            new SplittableRandom(3),
            new BlockedFractions(BlockedFractions.PublishedRanges.NONE));
    fresh.useCaches(new MapCache<>(proxyCache), new MapCache<>(secretCache));
    return fresh;
  }

  @AfterEach
  void stop() {
    client.close();
    providers.close();
    network.close();
    api.close();
  }

  /** A factory whose clients run the test's fault interceptor on every request. */
  static final class FaultyFactory extends JdkHttpClientFactory {
    private final Interceptor faults;

    FaultyFactory(Interceptor faults) {
      this.faults = faults;
    }

    @Override
    public HttpClient.Builder newBuilder(io.fabric8.kubernetes.client.Config config) {
      return super.newBuilder(config).addOrReplaceInterceptor("faults", faults);
    }
  }

  /** An informer that knows only what the reconciler wrote through it. */
  record MapCache<R extends HasMetadata>(Map<ResourceID, R> map) implements WriteThroughCache<R> {
    @Override
    public Optional<R> get(ResourceID id) {
      return Optional.ofNullable(map.get(id));
    }

    @Override
    public void handleRecentResourceCreate(ResourceID id, R resource) {
      map.put(id, resource);
    }

    @Override
    public void handleRecentResourceUpdate(ResourceID id, R resource, R previous) {
      map.put(id, resource);
    }
  }

  Context<ProxyFleet> context(CloudProfile profile) {
    return TestContexts.context(
        client,
        type ->
            type == Proxy.class
                ? proxyCache.values()
                : type == CloudProfile.class ? List.of(profile) : List.of());
  }

  <T extends HasMetadata> T create(String yaml, Class<T> type) {
    return client.resource(client.getKubernetesSerialization().unmarshal(yaml, type)).create();
  }

  CloudProfile profile() {
    return create(
        """
        apiVersion: proxyfleet.io/v1alpha1
        kind: CloudProfile
        metadata: {name: local, namespace: default}
        spec: {provider: local, local: {subnetsPerRegion: 2}}
        """,
        CloudProfile.class);
  }

  ProxyFleet fleet(int replicas, String blocklist) {
    return create(
        """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: unit, namespace: default}
        spec:
          replicas: %d
          protocol: socks5
          port: 1080
          placement: [{cloudProfile: local, regions: [local-61, local-62]}]
          blocklists: [%s]
        """
            .formatted(replicas, blocklist),
        ProxyFleet.class);
  }

  List<Proxy> stored() {
    return client.resources(Proxy.class).inNamespace("default").list().getItems();
  }

  List<Event> events(String reason) {
    return client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }

  ProxyFleet reconcile(ProxyFleet fleet, CloudProfile profile) {
    var control = reconciler.reconcile(fleet, context(profile));
    return control.getResource().orElse(fleet);
  }

  @Test
  void onePassCreatesEveryReplicaSpreadOverTheRegionsAndAnnouncesThemInOneEvent() {
    CloudProfile profile = profile();
    ProxyFleet fleet = reconcile(fleet(12, "manual"), profile);

    assertThat(stored()).hasSize(12);
    assertThat(
            stored().stream()
                .collect(
                    Collectors.groupingBy(p -> p.getSpec().getRegion(), Collectors.counting())))
        .containsEntry("local-61", 6L)
        .containsEntry("local-62", 6L);
    assertThat(events("LaunchingProxy"))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getCount()).isEqualTo(12);
              assertThat(e.getMessage())
                  .startsWith("Launching 12 proxies: ")
                  .contains("and 2 more");
            });
    var progressing =
        Conditions.find(fleet.getStatus().getConditions(), FleetReconciler.PROGRESSING)
            .orElseThrow();
    assertThat(progressing.getReason()).isEqualTo("ScalingUp");
    assertThat(progressing.getLastTransitionTime())
        .as("time comes from the injected clock")
        .isEqualTo("2026-03-01T12:00:00Z");
    assertThat(
            Conditions.find(fleet.getStatus().getConditions(), FleetReconciler.DEGRADED)
                .orElseThrow()
                .getReason())
        .isEqualTo("AsExpected");

    reconcile(fleet, profile);
    assertThat(stored()).as("a second pass on what the first wrote creates nothing").hasSize(12);
  }

  @Test
  void createsThatFailHalfWayLeaveNoDuplicateAndConvergeOnTheNextPass() {
    CloudProfile profile = profile();
    ProxyFleet fleet = fleet(12, "manual");
    failFrom = 4;
    failTo = 8;

    assertThatThrownBy(() -> reconciler.reconcile(fleet, context(profile)))
        .hasMessageContaining("injected fault");
    assertThat(stored()).as("the creates that did not fail went through").hasSize(8);
    assertThat(proxyCache)
        .as("and were recorded for the next pass before the pass failed")
        .hasSize(8);
    assertThat(events("LaunchingProxy"))
        .singleElement()
        .satisfies(e -> assertThat(e.getCount()).isEqualTo(8));

    reconcile(fleet, profile);
    List<Proxy> after = stored();
    assertThat(after).hasSize(12);
    assertThat(after.stream().map(p -> p.getMetadata().getName()).distinct()).hasSize(12);
    assertThat(
            after.stream()
                .collect(
                    Collectors.groupingBy(p -> p.getSpec().getRegion(), Collectors.counting())))
        .containsEntry("local-61", 6L)
        .containsEntry("local-62", 6L);
    assertThat(proxyPosts.get()).as("12 creates succeeded, 4 failed, nothing more").isEqualTo(16);
    reconcile(fleet, profile);
    assertThat(stored()).hasSize(12);
  }

  @Test
  void aNameAlreadyTakenIsDrawnAgainInsteadOfFailingThePassWithAConflict() {
    CloudProfile profile = profile();
    // Suffixes drawn: "bbbbb" (first pass); "bbbbb" again (taken by the first pass's proxy),
    // "ccccc", "ccccc" again (taken earlier in the same pass), "ddddd".
    int[] draws = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2};
    java.util.concurrent.atomic.AtomicInteger next =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.random.RandomGenerator scripted =
        new java.util.random.RandomGenerator() {
          @Override
          public long nextLong() {
            throw new UnsupportedOperationException();
          }

          @Override
          public int nextInt(int bound) {
            return draws[next.getAndIncrement()];
          }
        };
    reconciler =
        new FleetReconciler(
            providers,
            blocklists,
            new BlocklistSubscriptions(),
            new EventRecorder(client, Clock.fixed(NOW, ZoneOffset.UTC), "test"),
            Clock.fixed(NOW, ZoneOffset.UTC),
            scripted,
            new SplittableRandom(3),
            new BlockedFractions(BlockedFractions.PublishedRanges.NONE));
    reconciler.useCaches(new MapCache<>(proxyCache), new MapCache<>(secretCache));

    ProxyFleet fleet = reconcile(fleet(1, "manual"), profile);
    fleet.getSpec().setReplicas(3);
    reconcile(fleet, profile);

    assertThat(stored())
        .extracting(p -> p.getMetadata().getName())
        .containsExactlyInAnyOrder("unit-bbbbb", "unit-ccccc", "unit-ddddd");
    assertThat(proxyPosts.get()).as("no create was refused as a duplicate name").isEqualTo(3);
    assertThat(next.get()).as("every scripted draw was used").isEqualTo(draws.length);
  }

  /**
   * The endpoints Secret at the largest fleet the schema allows, with the longest links (MTProto,
   * per-proxy keys, a 253-character FakeTLS domain, a 57-character fleet name): it must stay under
   * the API's 1 MiB object limit, and so must the generated credentials Secret.
   */
  @Test
  void theEndpointsSecretOfTheLargestFleetStaysUnderTheObjectLimit() {
    CloudProfile profile = profile();
    String name = "f".repeat(io.proxyfleet.fleet.FleetValidator.MAX_FLEET_NAME);
    String label = "d".repeat(61);
    String domain =
        String.join(".", label, label, label, "d".repeat(61), "com").substring(0, 249) + ".com";
    ProxyFleet fleet =
        create(
            """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: %s, namespace: default}
        spec:
          replicas: %d
          protocol: mtproto
          port: 443
          mtproto: {fakeTlsDomain: %s, secretScope: proxy}
          placement: [{cloudProfile: local, regions: [local-63, local-64, local-65, local-66]}]
          blocklists: [manual]
        """
                .formatted(name, io.proxyfleet.api.ProxyFleetSpec.MAX_REPLICAS, domain),
            ProxyFleet.class);
    assertThat(domain).hasSize(253);
    // The loopback cloud runs no MTProto daemon; the fleet only needs to believe it does.
    io.proxyfleet.cloud.CloudProvider local =
        new io.proxyfleet.cloud.local.LocalCloudProvider(network, 2, java.time.Duration.ZERO);
    io.proxyfleet.cloud.CloudProvider mtprotoCapable =
        (io.proxyfleet.cloud.CloudProvider)
            java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {io.proxyfleet.cloud.CloudProvider.class},
                (self, method, args) ->
                    method.getName().equals("supports")
                        ? Boolean.TRUE
                        : method.invoke(local, args));
    CloudProviders capable =
        new CloudProviders(
            List.of(
                new io.proxyfleet.cloud.CloudProviderFactory() {
                  @Override
                  public String type() {
                    return "local";
                  }

                  @Override
                  public io.proxyfleet.cloud.CloudProvider create(CloudProfile ignored) {
                    return mtprotoCapable;
                  }
                }));
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    reconciler =
        new FleetReconciler(
            capable,
            blocklists,
            new BlocklistSubscriptions(),
            new EventRecorder(client, clock, "test"),
            clock,
            new SplittableRandom(2),
            new SplittableRandom(3),
            new BlockedFractions(BlockedFractions.PublishedRanges.NONE));
    reconciler.useCaches(new MapCache<>(proxyCache), new MapCache<>(secretCache));
    ProxyFleet planned = reconcile(fleet, profile);
    assertThat(proxyCache)
        .as(String.valueOf(planned.getStatus().getConditions()))
        .hasSize(io.proxyfleet.api.ProxyFleetSpec.MAX_REPLICAS);
    int host = 0;
    for (Proxy p : proxyCache.values()) {
      ProxyStatus status = new ProxyStatus();
      status.setPhase(io.proxyfleet.api.ProxyPhase.Running);
      host++;
      status.setPublicIp("127." + (63 + host % 4) + "." + (host / 250) + "." + (1 + host % 250));
      p.setStatus(status);
    }
    reconcile(fleet, profile);

    Secret endpoints = client.secrets().inNamespace("default").withName(name + "-endpoints").get();
    Secret credentials =
        client.secrets().inNamespace("default").withName(name + "-credentials").get();
    int endpointsBytes = client.getKubernetesSerialization().asJson(endpoints).length();
    int credentialsBytes = client.getKubernetesSerialization().asJson(credentials).length();
    System.out.printf(
        "endpoints Secret of %d MTProto proxies: %d bytes; credentials Secret: %d bytes%n",
        io.proxyfleet.api.ProxyFleetSpec.MAX_REPLICAS, endpointsBytes, credentialsBytes);
    assertThat(endpointsBytes).isLessThan(1024 * 1024);
    assertThat(endpoints.getData())
        .as("written gzipped")
        .containsOnlyKeys("endpoints.json.gz", "subscription.txt.gz");
    assertThat(io.proxyfleet.secrets.FleetSecrets.subscription(endpoints).lines())
        .hasSize(2 * io.proxyfleet.api.ProxyFleetSpec.MAX_REPLICAS);
    assertThat(credentialsBytes).isLessThan(1024 * 1024);
    assertThat(io.proxyfleet.secrets.FleetSecrets.endpointsJson(endpoints).split("\"name\"", -1))
        .as("every proxy is published")
        .hasSize(io.proxyfleet.api.ProxyFleetSpec.MAX_REPLICAS + 1);
  }

  @Test
  void aMissingBlocklistIsReportedUnderItsOwnReason() {
    ProxyFleet fleet = reconcile(fleet(2, "nowhere"), profile());
    var degraded =
        Conditions.find(fleet.getStatus().getConditions(), FleetReconciler.DEGRADED).orElseThrow();
    assertThat(degraded.getStatus()).isEqualTo("True");
    assertThat(degraded.getReason()).isEqualTo("BlocklistNotFound");
    assertThat(degraded.getMessage())
        .startsWith("spec.blocklists[0]: Blocklist 'nowhere' not found");
  }

  @Test
  void aMissingNamedCredentialsSecretIsReportedUnderItsOwnReasonAndPolledFor() {
    ProxyFleet fleet = fleet(2, "manual");
    fleet.getSpec().setCredentialsSecret("my-creds");
    var control = reconciler.reconcile(fleet, context(profile()));
    ProxyFleet after =
        client.resources(ProxyFleet.class).inNamespace("default").withName("unit").get();
    var degraded =
        Conditions.find(after.getStatus().getConditions(), FleetReconciler.DEGRADED).orElseThrow();
    assertThat(degraded.getReason()).isEqualTo("CredentialsNotFound");
    assertThat(degraded.getMessage())
        .startsWith("spec.credentialsSecret: Secret 'my-creds' not found");
    assertThat(control.getScheduleDelay())
        .as("a named Secret is not watched: poll for it")
        .contains(5000L);
    assertThat(stored()).isEmpty();
  }

  @Test
  void aProxyThatHitTheCloudQuotaDegradesTheFleetWithThatReason() {
    CloudProfile profile = profile();
    ProxyFleet fleet = fleet(1, "manual");
    reconcile(fleet, profile);
    Proxy proxy = proxyCache.values().iterator().next();
    ProxyStatus status = new ProxyStatus();
    status
        .getConditions()
        .add(
            new ConditionBuilder()
                .withType("Ready")
                .withStatus("False")
                .withReason("QuotaExceeded")
                .withMessage("AddressLimitExceeded: too many addresses")
                .build());
    proxy.setStatus(status);

    ProxyFleet after = reconcile(fleet, profile);
    var degraded =
        Conditions.find(after.getStatus().getConditions(), FleetReconciler.DEGRADED).orElseThrow();
    assertThat(degraded.getReason()).isEqualTo("QuotaExceeded");
    assertThat(degraded.getMessage())
        .contains("cloud quota exceeded in " + proxy.getSpec().getRegion())
        .contains("too many addresses");
  }

  /** Every proxy of the cache Running on an address of its region. */
  void allServing() {
    int n = 0;
    for (Proxy proxy : proxyCache.values()) {
      ProxyStatus status = new ProxyStatus();
      status.setPhase(io.proxyfleet.api.ProxyPhase.Running);
      status.setInstanceId("i-" + n);
      status.setPublicIp(
          "127." + proxy.getSpec().getRegion().substring("local-".length()) + ".0." + (++n));
      status.setIpAssignedAt("2026-03-01T11:00:00Z");
      proxy.setStatus(status);
    }
  }

  /** Blocks each proxy's own address, nothing else of its region. */
  void blockTheirAddresses() {
    io.proxyfleet.block.BlockIndex.Builder index = io.proxyfleet.block.BlockIndex.builder();
    for (Proxy proxy : proxyCache.values()) {
      index.add(
          io.proxyfleet.block.IpAddresses.parseRange(proxy.getStatus().getPublicIp() + "/32"));
    }
    blocklists.publish("manual", index.build());
  }

  @Test
  void aBlockIsOneStatusWriteOfRequestsNotAWritePerProxyAndServedOnesAreDropped() {
    CloudProfile profile = profile();
    ProxyFleet fleet = reconcile(fleet(4, "manual"), profile);
    allServing();
    blockTheirAddresses();

    ProxyFleet requested = reconcile(fleet, profile);

    Map<String, String> requests = requested.getStatus().getIpRotationRequests();
    assertThat(requests)
        .as("one request per blocked proxy, in the fleet's status")
        .containsOnlyKeys(
            proxyCache.values().stream().map(p -> p.getMetadata().getName()).toList());
    assertThat(requests.values())
        .allSatisfy(
            r ->
                assertThat(io.proxyfleet.api.RotationRequest.parse(r))
                    .hasValueSatisfying(q -> assertThat(q.reason()).isEqualTo("Blocked")));
    assertThat(proxyPatches.get()).as("no write on any proxy").isZero();
    assertThat(
            client
                .resources(ProxyFleet.class)
                .inNamespace("default")
                .withName("unit")
                .get()
                .getStatus()
                .getIpRotationRequests())
        .as("as stored")
        .isEqualTo(requests);
    assertThat(requested.getStatus().getRotations()).isEqualTo(4);

    ProxyFleet again = reconcile(requested, profile);
    assertThat(again.getStatus().getIpRotationRequests())
        .as("owed until served, and not made again")
        .isEqualTo(requests);
    assertThat(again.getStatus().getRotations()).isEqualTo(4);

    // Each proxy served its request: a clean address and the request recorded.
    blocklists.publish("manual", io.proxyfleet.block.BlockIndex.EMPTY);
    for (Proxy proxy : proxyCache.values()) {
      proxy.getStatus().setFleetRotationHandled(requests.get(proxy.getMetadata().getName()));
    }
    ProxyFleet served = reconcile(again, profile);
    assertThat(served.getStatus().getIpRotationRequests()).isEmpty();
    assertThat(served.getStatus().getRotations()).isEqualTo(4);
    assertThat(proxyPatches.get()).isZero();
  }

  @Test
  void requestsPublishedByAnEarlierProcessStayOwedAndAreNotMadeTwice() {
    CloudProfile profile = profile();
    ProxyFleet fleet = reconcile(fleet(2, "manual"), profile);
    allServing();
    blockTheirAddresses();
    ProxyFleet requested = reconcile(fleet, profile);
    Map<String, String> requests = requested.getStatus().getIpRotationRequests();
    assertThat(requests).hasSize(2);

    // A new operator process: no memory, only the fleet as stored.
    Clock clock = Clock.fixed(NOW.plusSeconds(1), ZoneOffset.UTC);
    reconciler = newReconciler(clock);
    ProxyFleet stored =
        client.resources(ProxyFleet.class).inNamespace("default").withName("unit").get();

    ProxyFleet after = reconcile(stored, profile);

    assertThat(after.getStatus().getIpRotationRequests())
        .as("the same requests, not new ones")
        .isEqualTo(requests);
    assertThat(after.getStatus().getRotations()).isEqualTo(2);
  }
}
