package io.proxyfleet.gc;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.Protocol;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.CloudProviderFactory;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.local.CustomResourceDefinitions;
import io.proxyfleet.testing.cloud.SettableClock;
import io.proxyfleet.testing.cloud.TestingCloudProvider;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One collector pass at a time, called directly on a clock the test moves: the API is local mode's
 * embedded server, the cloud a {@link TestingCloudProvider} the test fills and breaks.
 */
class GarbageCollectorTest {

  static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
  static final Duration MIN_AGE = Duration.ofMinutes(5);
  static final String CLUSTER = "prod";
  static final String REGION = "eu-central-1";

  final SettableClock clock = new SettableClock(T0);
  final TestingCloudProvider cloud =
      new TestingCloudProvider("aws", clock, 1)
          .withRegion(REGION, "203.0.113.0/24")
          .withRegion("eu-west-1", "198.51.100.0/24")
          .withRegion("ap-south-1", "192.0.2.0/24");
  EmbeddedKubernetes api;
  KubernetesClient client;
  CloudProviders providers;
  GarbageCollector collector;

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
                  public CloudProvider create(CloudProfile profile) {
                    return cloud;
                  }
                }));
    collector =
        new GarbageCollector(
            client, providers, new EventRecorder(client, clock, "test"), clock, CLUSTER, MIN_AGE);
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
  }

  @AfterEach
  void stop() {
    providers.close();
    api.close();
  }

  <T extends HasMetadata> T create(String yaml, Class<T> type) {
    return client.resource(client.getKubernetesSerialization().unmarshal(yaml, type)).create();
  }

  Proxy proxy(String name, String region) {
    return create(
        """
        apiVersion: proxyfleet.io/v1alpha1
        kind: Proxy
        metadata: {name: %s, namespace: default, labels: {proxyfleet.io/fleet: f}}
        spec: {fleet: f, cloudProfile: aws, provider: aws, region: %s, subnet: subnet-%sa, protocol: socks5, port: 1080,
               credentialsSecret: f-credentials}
        """
            .formatted(name, region, region),
        Proxy.class);
  }

  static OwnerTags owner(String cluster, String uid) {
    return new OwnerTags(cluster, "default", "f", "f-" + uid, uid);
  }

  /**
   * A VM with its address, as a Proxy's launch leaves them, in the cloud's ledger (no calls
   * counted).
   */
  Instance vmWithAddress(OwnerTags owner, String region) {
    Instance vm =
        cloud.launch(
            new LaunchSpec(
                owner,
                region,
                "subnet-" + region + "a",
                Protocol.SOCKS5,
                1080,
                new ProxyCredentials("u", "p")));
    Address address = cloud.allocateAddress(region, owner, Optional.empty());
    cloud.associateAddress(region, vm.id(), address);
    cloud.resetCallCounts();
    return cloud.ledger().findInstance(region, owner.proxyUid()).orElseThrow();
  }

  List<String> liveInstances(String region, String cluster) {
    return cloud.ledger().listInstances(region, cluster).stream().map(Instance::id).toList();
  }

  List<String> addresses(String region, String cluster) {
    return cloud.ledger().listAddresses(region, cluster).stream().map(Address::ip).toList();
  }

  List<Event> warnings(String reason) {
    return client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }

  @Test
  void anOrphanIsRemovedOnlyOnceOlderThanTheMinimumAgeAndItsAddressOnTheNextPass() {
    Instance orphan = vmWithAddress(owner(CLUSTER, "gone-uid"), REGION);

    clock.advance(MIN_AGE.minusSeconds(1));
    GarbageCollector.Report young = collector.collect();
    assertThat(young.removedAnything())
        .as("younger than the minimum age: it may be a launch whose Proxy is not listed yet")
        .isFalse();
    assertThat(liveInstances(REGION, CLUSTER)).containsExactly(orphan.id());

    clock.advance(Duration.ofSeconds(1));
    GarbageCollector.Report first = collector.collect();
    assertThat(first.terminatedInstances()).containsExactly(REGION + "/" + orphan.id());
    assertThat(first.releasedAddresses())
        .as("still attached when the pass listed it: EC2 would refuse")
        .isEmpty();
    assertThat(liveInstances(REGION, CLUSTER)).isEmpty();

    GarbageCollector.Report second = collector.collect();
    assertThat(second.releasedAddresses()).containsExactly(REGION + "/" + orphan.publicIp());
    assertThat(addresses(REGION, CLUSTER)).isEmpty();
    assertThat(collector.collect().removedAnything()).as("nothing left to do").isFalse();

    assertThat(warnings("OrphanTerminated"))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getInvolvedObject().getKind()).isEqualTo("CloudProfile");
              assertThat(e.getMessage()).contains(orphan.id(), "gone-uid");
            });
    assertThat(warnings("OrphanReleased"))
        .singleElement()
        .satisfies(e -> assertThat(e.getMessage()).contains(orphan.publicIp()));
  }

  @Test
  void whatALivingProxyOwnsIsKept() {
    Proxy owner = proxy("f-alive", REGION);
    Instance kept = vmWithAddress(owner(CLUSTER, owner.getMetadata().getUid()), REGION);
    Address spare =
        cloud.allocateAddress(
            REGION, owner(CLUSTER, owner.getMetadata().getUid()), Optional.empty());
    clock.advance(Duration.ofHours(1));

    GarbageCollector.Report report = collector.collect();

    assertThat(report.removedAnything()).isFalse();
    assertThat(report.errors()).isEmpty();
    assertThat(liveInstances(REGION, CLUSTER)).containsExactly(kept.id());
    assertThat(addresses(REGION, CLUSTER)).contains(kept.publicIp(), spare.ip());
    assertThat(cloud.calls("terminate") + cloud.calls("releaseAddress")).isZero();
  }

  @Test
  void aServingProxysExtraUnattachedAddressIsReleasedAfterTheMinimumAge() {
    Proxy owner = proxy("f-serving", REGION);
    OwnerTags tags = owner(CLUSTER, owner.getMetadata().getUid());
    Instance vm = vmWithAddress(tags, REGION);
    Address attached =
        cloud.ledger().listAddresses(REGION, CLUSTER).stream()
            .filter(a -> vm.id().equals(a.instanceId()))
            .findFirst()
            .orElseThrow();
    io.proxyfleet.api.ProxyStatus status = new io.proxyfleet.api.ProxyStatus();
    status.setPhase(io.proxyfleet.api.ProxyPhase.Running);
    status.setInstanceId(vm.id());
    status.setPublicIp(attached.ip());
    status.setAddressId(attached.id());
    owner.setStatus(status);
    client.resource(owner).updateStatus();
    // An allocation whose answer was lost: the proxy drew another and serves on that one.
    Address extra = cloud.allocateAddress(REGION, tags, Optional.empty());

    clock.advance(MIN_AGE.minusSeconds(1));
    assertThat(collector.collect().releasedAddresses())
        .as("younger than the minimum age: it may be a rotation in flight")
        .isEmpty();
    clock.advance(Duration.ofSeconds(1));
    GarbageCollector.Report report = collector.collect();
    assertThat(report.releasedAddresses()).containsExactly(REGION + "/" + extra.ip());
    assertThat(report.terminatedInstances()).isEmpty();
    assertThat(addresses(REGION, CLUSTER)).containsExactly(attached.ip());
    assertThat(warnings("ExtraAddressReleased"))
        .singleElement()
        .satisfies(e -> assertThat(e.getMessage()).contains(extra.ip()));
  }

  @Test
  void anotherClustersAndUntaggedResourcesAreNeverTouched() {
    vmWithAddress(owner("staging", "their-uid"), REGION);
    Subnet subnet = cloud.subnets(REGION).get(0);
    // Carries our cluster tag but no proxy tag: someone else's copy of our tags, not ours to judge.
    cloud
        .ledger()
        .launch(
            Map.of(OwnerTags.CLUSTER, CLUSTER, OwnerTags.NAME, "hand-made"), subnet, Duration.ZERO);
    cloud.ledger().launch(Map.of("team", "web"), subnet, Duration.ZERO);
    cloud.resetCallCounts();
    clock.advance(Duration.ofDays(30));

    GarbageCollector.Report report = collector.collect();

    assertThat(report.removedAnything()).isFalse();
    assertThat(liveInstances(REGION, "staging")).hasSize(1);
    assertThat(addresses(REGION, "staging")).hasSize(1);
    assertThat(liveInstances(REGION, CLUSTER)).hasSize(1);
    assertThat(cloud.calls("terminate") + cloud.calls("releaseAddress")).isZero();
    assertThat(cloud.calls("listManagedInstances"))
        .as("listing is by this cluster's tag, in the profile's region")
        .isEqualTo(1);
  }

  @Test
  void aRegionNoProfileOrFleetListsIsFoundThroughTheAccountListing() {
    Instance stray = vmWithAddress(owner(CLUSTER, "gone-uid"), "ap-south-1");
    clock.advance(Duration.ofHours(1));

    GarbageCollector.Report report = collector.collect();

    assertThat(report.terminatedInstances()).containsExactly("ap-south-1/" + stray.id());
    assertThat(cloud.calls("managedRegions")).isEqualTo(1);
  }

  @Test
  void aProviderThatCannotListTheAccountStillReachesRegionsItsProxiesName() {
    cloud.listsWholeAccount(false);
    Instance stray = vmWithAddress(owner(CLUSTER, "gone-uid"), "ap-south-1");
    Proxy other = proxy("f-west", "eu-west-1");
    Instance orphanWest = vmWithAddress(owner(CLUSTER, "also-gone"), "eu-west-1");
    vmWithAddress(owner(CLUSTER, other.getMetadata().getUid()), "eu-west-1");
    clock.advance(Duration.ofHours(1));

    GarbageCollector.Report report = collector.collect();

    assertThat(report.terminatedInstances())
        .as("eu-west-1 is named by a Proxy; ap-south-1 by nobody")
        .containsExactly("eu-west-1/" + orphanWest.id());
    assertThat(liveInstances("ap-south-1", CLUSTER)).containsExactly(stray.id());
  }

  @Test
  void cloudErrorsAreReportedPerProfileAndRegionAndNothingIsRemoved() {
    vmWithAddress(owner(CLUSTER, "gone-uid"), REGION);
    clock.advance(Duration.ofHours(1));

    cloud.throttled(true);
    GarbageCollector.Report throttled = collector.collect();
    assertThat(throttled.removedAnything()).isFalse();
    assertThat(throttled.errors())
        .isNotEmpty()
        .allMatch(e -> e.startsWith("default/aws "))
        .anyMatch(e -> e.contains(REGION + ": THROTTLED"));

    cloud.throttled(false);
    cloud.unauthorized(true);
    assertThat(collector.collect().errors()).anyMatch(e -> e.contains("UNAUTHORIZED"));

    cloud.unauthorized(false);
    cloud.failNext("terminate", Reason.TRANSIENT, 1);
    GarbageCollector.Report halfway = collector.collect();
    assertThat(halfway.errors())
        .singleElement()
        .satisfies(e -> assertThat(e).contains("TRANSIENT"));
    assertThat(liveInstances(REGION, CLUSTER)).hasSize(1);

    assertThat(collector.collect().terminatedInstances())
        .as("the next pass finishes the job")
        .hasSize(1);
    assertThat(liveInstances(REGION, CLUSTER)).isEmpty();
  }

  @Test
  void aLostInstanceLeavesAnAddressTheCollectorReleases() {
    Instance orphan = vmWithAddress(owner(CLUSTER, "gone-uid"), REGION);
    cloud.loseInstance(orphan.id());
    clock.advance(Duration.ofHours(1));

    GarbageCollector.Report report = collector.collect();

    assertThat(report.terminatedInstances()).isEmpty();
    assertThat(report.releasedAddresses()).containsExactly(REGION + "/" + orphan.publicIp());
  }
}
