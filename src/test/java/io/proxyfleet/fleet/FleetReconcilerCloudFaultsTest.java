package io.proxyfleet.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.BlockIndexRegistry;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.CloudProviderFactory;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.local.CustomResourceDefinitions;
import io.proxyfleet.policy.BlockedFractions;
import io.proxyfleet.proxy.ProxyReconciler;
import io.proxyfleet.status.Conditions;
import io.proxyfleet.testing.cloud.SettableClock;
import io.proxyfleet.testing.cloud.TestingCloudProvider;
import io.proxyfleet.testing.reconcile.TestContexts;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fleet loop and the proxy loop called in turn, one pass at a time, over one {@link
 * TestingCloudProvider} whose account runs out of instance quota part-way through a scale-up: the
 * fleet must say so, create no extra Proxies for the ones waiting, and converge on exactly one
 * instance and one address per Proxy once the quota is raised.
 */
class FleetReconcilerCloudFaultsTest {

  static final String CLUSTER = "test";
  static final String REGION = "eu-central-1";

  final SettableClock clock = new SettableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  final TestingCloudProvider cloud =
      new TestingCloudProvider("aws", clock, 11).withRegion(REGION, "203.0.113.0/24");
  EmbeddedKubernetes api;
  KubernetesClient client;
  CloudProviders providers;
  FleetReconciler fleets;
  ProxyReconciler proxies;
  CloudProfile profile;
  ProxyFleet fleet;

  /** The fleet's informer: what the proxy loop wrote, as JOSDK's status patch would leave it. */
  final Map<ResourceID, Proxy> proxyCache = new ConcurrentHashMap<>();

  final Map<ResourceID, Secret> secretCache = new ConcurrentHashMap<>();

  @BeforeEach
  void start() {
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    api.installCrds(CustomResourceDefinitions.all());
    client = api.client();
    providers =
        new CloudProviders(
            List.of(
                new CloudProviderFactory() {
                  @Override
                  public String type() {
                    return "aws";
                  }

                  @Override
                  public CloudProvider create(CloudProfile ignored) {
                    return cloud;
                  }
                }));
    BlockIndexRegistry blocklists = new BlockIndexRegistry();
    blocklists.publish("manual", BlockIndex.EMPTY);
    EventRecorder events = new EventRecorder(client, clock, "test");
    fleets =
        new FleetReconciler(
            providers,
            blocklists,
            new BlocklistSubscriptions(),
            events,
            clock,
            new SplittableRandom(2),
            new SplittableRandom(3),
            new BlockedFractions(BlockedFractions.PublishedRanges.NONE));
    fleets.useCaches(
        new FleetReconcilerTest.MapCache<>(proxyCache),
        new FleetReconcilerTest.MapCache<>(secretCache));
    proxies = new ProxyReconciler(providers, blocklists, events, clock, CLUSTER, 5);
    profile =
        create(
            """
            apiVersion: proxyfleet.io/v1alpha1
            kind: CloudProfile
            metadata: {name: aws, namespace: default}
            spec:
              provider: aws
              aws: {regions: [eu-central-1], subnets: {tags: {proxyfleet.io/use: proxies}}}
            """,
            CloudProfile.class);
    fleet =
        create(
            """
            apiVersion: proxyfleet.io/v1alpha1
            kind: ProxyFleet
            metadata: {name: unit, namespace: default}
            spec:
              replicas: 6
              protocol: socks5
              port: 1080
              placement: [{cloudProfile: aws, regions: [eu-central-1]}]
              blocklists: [manual]
            """,
            ProxyFleet.class);
  }

  @AfterEach
  void stop() {
    providers.close();
    api.close();
  }

  @Test
  void aQuotaSpentAfterFourLaunchesDegradesTheFleetAndConvergesOnSixOnceRaised() {
    cloud.instanceLimit(4);

    fleetPass();
    assertThat(storedProxies()).hasSize(6);
    proxyPasses();

    assertThat(phases())
        .containsEntry(ProxyPhase.Running, 4L)
        .containsEntry(ProxyPhase.Pending, 2L);
    assertThat(readyReasons()).containsEntry("Serving", 4L).containsEntry("QuotaExceeded", 2L);
    assertThat(instances()).hasSize(4);
    assertThat(addresses()).hasSize(4);

    fleetPass();
    var degraded =
        Conditions.find(fleet.getStatus().getConditions(), FleetReconciler.DEGRADED).orElseThrow();
    assertThat(degraded.getReason()).isEqualTo("QuotaExceeded");
    assertThat(degraded.getMessage())
        .contains("cloud quota exceeded in " + REGION)
        .contains("InstanceLimitExceeded");
    assertThat(storedProxies()).as("waiting proxies are not replaced by more").hasSize(6);

    proxyPasses();
    assertThat(instances()).as("still refused, nothing launched twice").hasSize(4);
    assertThat(cloud.calls("launch"))
        .as("4 launched, 2 refused on each of two passes")
        .isEqualTo(8);

    cloud.instanceLimit(Integer.MAX_VALUE);
    proxyPasses();
    fleetPass();

    assertThat(phases()).containsExactly(Map.entry(ProxyPhase.Running, 6L));
    assertThat(storedProxies()).hasSize(6);
    assertThat(
            Conditions.find(fleet.getStatus().getConditions(), FleetReconciler.DEGRADED)
                .orElseThrow()
                .getReason())
        .isEqualTo("AsExpected");
    Set<String> uids =
        storedProxies().stream().map(p -> p.getMetadata().getUid()).collect(Collectors.toSet());
    assertThat(instances()).hasSize(6);
    assertThat(instances().stream().map(Instance::ownerUid).collect(Collectors.toSet()))
        .isEqualTo(uids);
    assertThat(addresses()).hasSize(6);
    assertThat(addresses())
        .allSatisfy(a -> assertThat(a.instanceId()).isNotNull())
        .extracting(Address::ownerUid)
        .containsExactlyInAnyOrderElementsOf(uids);
    assertThat(cloud.ledger().launches()).isEqualTo(6);
    assertThat(cloud.ledger().allocations()).isEqualTo(6);
  }

  @Test
  void aLostInstanceIsReplacedAndTheFinalizerReleasesItsAddressLeavingOnePerProxy() {
    fleetPass();
    proxyPasses();
    fleetPass();
    assertThat(phases()).containsExactly(Map.entry(ProxyPhase.Running, 6L));
    Proxy victim = storedProxies().get(0);
    String lostAddress = victim.getStatus().getAddressId();
    assertThat(cloud.loseInstance(victim.getStatus().getInstanceId())).isTrue();

    proxyPasses();
    assertThat(phases()).containsEntry(ProxyPhase.Failed, 1L).containsEntry(ProxyPhase.Running, 5L);
    assertThat(instances()).hasSize(5);
    assertThat(addresses()).as("the lost VM's address waits for the finalizer").hasSize(6);

    for (int round = 0; round < 2; round++) {
      fleetPass();
      proxyPasses();
    }
    fleetPass();

    List<Proxy> after = storedProxies();
    assertThat(after).hasSize(6);
    assertThat(after)
        .extracting(p -> p.getMetadata().getUid())
        .doesNotContain(victim.getMetadata().getUid());
    assertThat(phases()).containsExactly(Map.entry(ProxyPhase.Running, 6L));
    Set<String> uids =
        after.stream().map(p -> p.getMetadata().getUid()).collect(Collectors.toSet());
    assertThat(instances())
        .extracting(Instance::ownerUid)
        .containsExactlyInAnyOrderElementsOf(uids);
    assertThat(addresses())
        .allSatisfy(a -> assertThat(a.instanceId()).isNotNull())
        .extracting(Address::ownerUid)
        .containsExactlyInAnyOrderElementsOf(uids);
    assertThat(cloud.ledger().address(lostAddress)).as("released by the cleanup").isEmpty();
    assertThat(cloud.ledger().launches()).isEqualTo(7);
  }

  /**
   * A pass that starts from a fleet copy older than the fleet's own last status write (JOSDK hands
   * out the informer's copy, which may not have that write yet) must still bring the server to what
   * it computes. Stale copy "6 ready", server "5 ready", computed "6 ready": comparing with the
   * stale copy, or sending only its difference from the copy, left the server at 5 for good.
   */
  @Test
  void aPassOnAStaleFleetCopyStillWritesWhatTheServerLacks() {
    fleetPass();
    proxyPasses();
    fleetPass();
    ProxyFleet allReady = serverFleet();
    assertThat(allReady.getStatus().getReadyReplicas()).isEqualTo(6);

    // One proxy is not ready for a moment; a pass on the current copy writes 5.
    Proxy one = proxyCache.values().iterator().next();
    Proxy launching = client.getKubernetesSerialization().clone(one);
    launching.getStatus().setPhase(ProxyPhase.Launching);
    proxyCache.put(ResourceID.fromResource(one), launching);
    fleets.reconcile(serverFleet(), fleetContext());
    assertThat(serverFleet().getStatus().getReadyReplicas()).isEqualTo(5);

    // It serves again, and the next pass starts from the copy from before the write of 5.
    proxyCache.put(ResourceID.fromResource(one), one);
    fleets.reconcile(allReady, fleetContext());
    assertThat(serverFleet().getStatus().getReadyReplicas())
        .as("the server has what the pass computed, whatever copy it started from")
        .isEqualTo(6);
  }

  ProxyFleet serverFleet() {
    return client.resources(ProxyFleet.class).inNamespace("default").withName("unit").get();
  }

  // ---- Helpers. ----

  void fleetPass() {
    UpdateControl<ProxyFleet> control = fleets.reconcile(fleet, fleetContext());
    fleet = control.getResource().orElse(fleet);
  }

  /**
   * One proxy pass each, as JOSDK runs them: cleanup for a deleted Proxy (then its finalizer goes),
   * reconcile for the others with the status written back; the fleet's informer then shows the
   * server's Proxies.
   */
  void proxyPasses() {
    for (Proxy stored : storedProxies()) {
      if (stored.getMetadata().getDeletionTimestamp() != null) {
        DeleteControl control = proxies.cleanup(stored, proxyContext());
        if (control.isRemoveFinalizer()) {
          client
              .resources(Proxy.class)
              .inNamespace("default")
              .withName(stored.getMetadata().getName())
              .edit(
                  p -> {
                    p.getMetadata().setFinalizers(List.of());
                    return p;
                  });
        }
        continue;
      }
      UpdateControl<Proxy> control = proxies.reconcile(stored, proxyContext());
      if (control.isPatchStatus()) {
        client.resource(control.getResource().orElseThrow()).patchStatus();
      }
    }
    proxyCache.clear();
    storedProxies().forEach(p -> proxyCache.put(ResourceID.fromResource(p), p));
  }

  List<Proxy> storedProxies() {
    return client.resources(Proxy.class).inNamespace("default").list().getItems();
  }

  Map<ProxyPhase, Long> phases() {
    return storedProxies().stream()
        .collect(Collectors.groupingBy(p -> p.getStatus().getPhase(), Collectors.counting()));
  }

  Map<String, Long> readyReasons() {
    return storedProxies().stream()
        .collect(
            Collectors.groupingBy(
                p ->
                    Conditions.find(p.getStatus().getConditions(), ProxyReconciler.READY)
                        .orElseThrow()
                        .getReason(),
                Collectors.counting()));
  }

  List<Instance> instances() {
    return cloud.ledger().listInstances(REGION, CLUSTER);
  }

  List<Address> addresses() {
    return cloud.ledger().listAddresses(REGION, CLUSTER);
  }

  <T extends HasMetadata> T create(String yaml, Class<T> type) {
    return client.resource(client.getKubernetesSerialization().unmarshal(yaml, type)).create();
  }

  Context<ProxyFleet> fleetContext() {
    return TestContexts.context(
        client,
        type ->
            type == Proxy.class
                ? proxyCache.values()
                : type == CloudProfile.class ? List.of(profile) : List.of());
  }

  Context<Proxy> proxyContext() {
    return TestContexts.context(
        client,
        type ->
            type == ProxyFleet.class
                ? List.of(fleet)
                : type == CloudProfile.class ? List.of(profile) : List.of());
  }
}
