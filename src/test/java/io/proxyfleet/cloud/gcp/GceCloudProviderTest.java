package io.proxyfleet.cloud.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.proxyfleet.api.GcpProviderSpec;
import io.proxyfleet.api.GcpRegionSpec;
import io.proxyfleet.api.Protocol;
import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.testing.gce.FakeCompute;
import io.proxyfleet.testing.gce.FakeCompute.Fault;
import io.proxyfleet.testing.gce.GcpTestCloud;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gcp adapter against {@link FakeCompute}: real generated client, real HTTP, real OAuth flow.
 */
class GceCloudProviderTest {

  static final String CLUSTER = "gce-test";
  static final String EU = "europe-west3";
  static final GcpSettings FAST =
      GcpSettings.defaults()
          .withSnapshotTtl(Duration.ZERO)
          .withOperationTimeout(Duration.ofSeconds(10));

  FakeCompute fake;
  String key;
  GceCloudProvider provider;

  @BeforeEach
  void setUp() {
    fake = new FakeCompute("proxy-project-1");
    key =
        GcpTestCloud.serviceAccountKey(
            fake, "proxyfleet@proxy-project-1.iam.gserviceaccount.com", true);
  }

  @AfterEach
  void tearDown() {
    if (provider != null) {
      provider.close();
    }
    fake.close();
  }

  GceCloudProvider provider(String mode, GcpSettings settings) {
    return provider(
        GcpTestCloud.spec(
            fake,
            mode,
            List.of(
                new GcpRegionSpec(EU, List.of()), new GcpRegionSpec("europe-west1", List.of()))),
        settings,
        CLUSTER);
  }

  GceCloudProvider provider(GcpProviderSpec spec, GcpSettings settings, String cluster) {
    GceCloudProvider p =
        new GceCloudProviderFactory(
                cluster, GcpTestCloud.secrets(key), settings, Clock.systemUTC(), new Random(1))
            .create(GcpTestCloud.profile("gcp", spec, Map.of("team", "Net.Ops")));
    if (cluster.equals(CLUSTER)) {
      provider = p;
    }
    return p;
  }

  static boolean inCidr(String ip, String cidr) {
    io.proxyfleet.block.IpRange r = IpAddresses.parseRange(cidr);
    long v = IpAddresses.parseIpv4(ip);
    return v >= r.startLo() && v <= r.endLo();
  }

  static OwnerTags owner(String uid) {
    return new OwnerTags(CLUSTER, "default", "fleet.one", "fleet-one-abcde", uid);
  }

  static LaunchSpec launch(String uid, String zone) {
    return new LaunchSpec(
        owner(uid),
        EU,
        zone,
        Protocol.SOCKS5,
        1080,
        new ProxyCredentials("pf-user", "s3cret-pass"));
  }

  Instance running(GceCloudProvider p, String uid) throws InterruptedException {
    return org.awaitility.Awaitility.await("instance of " + uid + " running")
        .atMost(java.time.Duration.ofSeconds(10))
        .pollInterval(java.time.Duration.ofMillis(10))
        .until(
            () -> p.findInstance(EU, uid).filter(i -> i.state() == Instance.State.RUNNING),
            Optional::isPresent)
        .orElseThrow();
  }

  @Test
  void launchCreatesALabelledInstanceWithStartupScriptAndFirewallAndAdoptsOnRepeat()
      throws Exception {
    GceCloudProvider p = provider("Static", FAST);
    String uid = UUID.randomUUID().toString();
    Instance launched = p.launch(launch(uid, "europe-west3-b"));

    assertThat(launched.id()).isEqualTo("europe-west3-b/pf-" + uid);
    assertThat(launched.zone()).isEqualTo("europe-west3-b");
    assertThat(launched.ownerUid()).isEqualTo(uid);
    JsonNode i = fake.instances().get("europe-west3-b/pf-" + uid);
    assertThat(i.path("labels").path("proxyfleet-cluster").asText()).isEqualTo(CLUSTER);
    assertThat(i.path("labels").path("proxyfleet-fleet").asText()).isEqualTo("default_fleet_one");
    assertThat(i.path("labels").path("proxyfleet-proxy").asText()).isEqualTo(uid);
    assertThat(i.path("labels").path("team").asText()).isEqualTo("net_ops");
    assertThat(i.path("machineType").asText()).endsWith("machineTypes/e2-micro");
    assertThat(i.path("disks").path(0).path("initializeParams").path("sourceImage").asText())
        .isEqualTo("projects/debian-cloud/global/images/family/debian-12");
    assertThat(i.path("metadata").path("items").path(0).path("key").asText())
        .isEqualTo("startup-script");
    assertThat(i.path("metadata").path("items").path(0).path("value").asText())
        .contains("dante-server")
        .contains("PF_PORT=1080");
    assertThat(i.path("networkInterfaces").path(0).path("accessConfigs").size())
        .as("Static mode launches without an address")
        .isZero();
    String tag = i.path("tags").path("items").path(0).asText();
    assertThat(fake.firewalls()).hasSize(1);
    JsonNode fw = fake.firewalls().values().iterator().next();
    assertThat(fw.path("targetTags").path(0).asText()).isEqualTo(tag);
    assertThat(fw.path("allowed").path(0).path("ports").path(0).asText()).isEqualTo("1080");

    long inserts = fake.count("compute.instances.insert");
    assertThat(p.launch(launch(uid, "europe-west3-b")).id()).isEqualTo(launched.id());
    GceCloudProvider restarted =
        provider(
            GcpTestCloud.spec(fake, "Static", List.of(new GcpRegionSpec(EU, List.of()))),
            FAST,
            CLUSTER);
    assertThat(restarted.launch(launch(uid, "europe-west3-a")).id())
        .as("a restarted operator adopts, whatever zone it asks")
        .isEqualTo(launched.id());
    assertThat(fake.count("compute.instances.insert")).isEqualTo(inserts);
    assertThat(fake.instances()).hasSize(1);
    assertThat(fake.count("compute.firewalls.insert")).isEqualTo(1);
  }

  @Test
  void anInsertWhoseAnswerWasLostIsNotHiddenByTheRegionsListing() throws Exception {
    // Slow listings expire only after the snapshot TTL: a listing taken before the insert must not
    // keep answering "no such instance" once GCE carried the insert out.
    GceCloudProvider p = provider("Static", FAST.withSnapshotTtl(java.time.Duration.ofMinutes(5)));
    String uid = UUID.randomUUID().toString();
    assertThat(p.findInstance(EU, uid)).isEmpty();
    fake.inject("compute.instances.insert", Fault.lostResponse(), 1);
    assertThatThrownBy(() -> p.launch(launch(uid, "europe-west3-b")))
        .isInstanceOf(io.proxyfleet.cloud.CloudException.class);
    // GCE carries the insert out on its own time; once it has, the listing must show it.
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> fake.instances().containsKey("europe-west3-b/pf-" + uid));
    assertThat(p.findInstance(EU, uid)).map(Instance::id).contains("europe-west3-b/pf-" + uid);
  }

  @Test
  void staticAddressesAreReservedFromTheRegionsPublishedRangesAttachedRotatedAndReleased()
      throws Exception {
    GceCloudProvider p = provider("Static", FAST);
    String uid = UUID.randomUUID().toString();
    p.launch(launch(uid, "europe-west3-a"));
    Instance instance = running(p, uid);

    Address first = p.allocateAddress(EU, owner(uid), Optional.empty());
    assertThat(first.ownerUid()).isEqualTo(uid);
    assertThat(fake.publishedRanges(EU))
        .anySatisfy(cidr -> assertThat(inCidr(first.ip(), cidr)).isTrue());
    p.associateAddress(EU, instance.id(), first);
    Instance attached = running(p, uid);
    assertThat(attached.publicIp()).isEqualTo(first.ip());
    assertThat(attached.addressId()).isEqualTo(first.id());
    assertThatThrownBy(() -> p.releaseAddress(EU, first))
        .as("GCE refuses to delete an address in use")
        .isInstanceOf(CloudException.class);

    Address second = p.allocateAddress(EU, owner(uid), Optional.empty());
    p.associateAddress(EU, instance.id(), second);
    assertThat(running(p, uid).publicIp()).isEqualTo(second.ip());
    assertThat(p.lastSwapGap()).isNotNull();
    assertThat(p.listManagedAddresses(EU, CLUSTER))
        .extracting(Address::id)
        .containsExactlyInAnyOrder(first.id(), second.id());
    assertThat(p.listManagedAddresses(EU, CLUSTER))
        .filteredOn(a -> a.id().equals(first.id()))
        .singleElement()
        .satisfies(a -> assertThat(a.instanceId()).isNull());
    p.releaseAddress(EU, first);
    assertThat(fake.addresses()).hasSize(1);

    p.terminate(EU, instance.id());
    assertThat(fake.instances()).isEmpty();
    assertThat(p.findInstance(EU, uid)).isEmpty();
    p.releaseAddress(EU, second);
    assertThat(fake.addresses()).isEmpty();
    p.terminate(EU, instance.id());
    p.releaseAddress(EU, second);
  }

  @Test
  void ephemeralModeRedrawsTheAccessConfigAndReservesNothing() throws Exception {
    GceCloudProvider p = provider("Ephemeral", FAST);
    String uid = UUID.randomUUID().toString();
    p.launch(launch(uid, "europe-west3-c"));
    Instance instance = running(p, uid);
    assertThat(instance.publicIp()).as("ephemeral mode launches with an address").isNotNull();

    Address drawn = p.allocateAddress(EU, owner(uid), Optional.empty());
    assertThat(drawn.ip()).isNotEqualTo(instance.publicIp());
    p.associateAddress(EU, instance.id(), drawn);
    p.releaseAddress(EU, drawn);
    assertThat(running(p, uid).publicIp()).isEqualTo(drawn.ip());
    assertThat(fake.addresses()).isEmpty();
    assertThat(p.listManagedAddresses(EU, CLUSTER)).isEmpty();
    assertThat(fake.count("compute.instances.deleteAccessConfig")).isEqualTo(1);
    assertThat(fake.count("compute.instances.addAccessConfig")).isEqualTo(1);
  }

  @Test
  void zoneExhaustedMovesTheLaunchToAnotherZoneAndHoldsTheZone() {
    GceCloudProvider p = provider("Static", FAST);
    fake.inject(
        c ->
            c.method().equals("compute.instances.insert")
                && c.path().contains("/zones/europe-west3-a/"),
        Fault.operation(
            "ZONE_RESOURCE_POOL_EXHAUSTED",
            "The zone 'projects/proxy-project-1/zones/europe-west3-a' does not have enough"
                + " resources available to fulfill the request."),
        1);
    Instance launched = p.launch(launch(UUID.randomUUID().toString(), "europe-west3-a"));
    assertThat(launched.zone()).isEqualTo("europe-west3-b");
    assertThat(p.unavailableZones(EU)).containsExactly("europe-west3-a");
    Instance next = p.launch(launch(UUID.randomUUID().toString(), "europe-west3-a"));
    assertThat(next.zone()).as("the held zone is skipped").isEqualTo("europe-west3-b");
  }

  @Test
  void errorsMapToTheSharedReasons() {
    GceCloudProvider p = provider("Static", FAST);
    fake.inject(
        "compute.instances.insert",
        Fault.operation(
            "QUOTA_EXCEEDED", "Quota 'CPUS' exceeded.  Limit: 8.0 in region europe-west3."),
        1);
    assertThatThrownBy(() -> p.launch(launch(UUID.randomUUID().toString(), "europe-west3-a")))
        .isInstanceOf(CloudException.class)
        .extracting(e -> ((CloudException) e).reason())
        .isEqualTo(Reason.QUOTA_EXCEEDED);
    assertThat(p.unavailableZones(EU)).as("quota says nothing about a zone").isEmpty();

    // Throttling is retried a bounded number of times (3 attempts), then surfaces as THROTTLED.
    long before = fake.count("compute.addresses.insert");
    fake.inject(
        "compute.addresses.insert", Fault.http(403, "rateLimitExceeded", "Rate Limit Exceeded"), 3);
    assertThatThrownBy(() -> p.allocateAddress(EU, owner("u1"), Optional.empty()))
        .isInstanceOf(CloudException.class)
        .extracting(e -> ((CloudException) e).reason())
        .isEqualTo(Reason.THROTTLED);
    assertThat(fake.count("compute.addresses.insert") - before).isEqualTo(3);
    fake.inject(
        "compute.addresses.insert",
        Fault.http(429, "userRateLimitExceeded", "Too many requests"),
        3);
    assertThatThrownBy(() -> p.allocateAddress(EU, owner("u1"), Optional.empty()))
        .isInstanceOf(CloudException.class)
        .extracting(e -> ((CloudException) e).reason())
        .isEqualTo(Reason.THROTTLED);
    fake.inject(
        "compute.addresses.insert",
        Fault.http(403, "forbidden", "Required 'compute.addresses.create' permission"),
        1);
    assertThatThrownBy(() -> p.allocateAddress(EU, owner("u1"), Optional.empty()))
        .isInstanceOf(CloudException.class)
        .extracting(e -> ((CloudException) e).reason())
        .isEqualTo(Reason.UNAUTHORIZED);
    fake.inject(
        "compute.addresses.insert",
        Fault.operation("QUOTA_EXCEEDED", "Quota 'STATIC_ADDRESSES' exceeded.  Limit: 8.0"),
        1);
    assertThatThrownBy(() -> p.allocateAddress(EU, owner("u1"), Optional.empty()))
        .isInstanceOf(CloudException.class)
        .extracting(e -> ((CloudException) e).reason())
        .isEqualTo(Reason.QUOTA_EXCEEDED);
    fake.inject("compute.addresses.list", Fault.http(503, "backendError", "Backend Error"), 10);
    assertThatThrownBy(() -> p.listManagedAddresses(EU, CLUSTER))
        .isInstanceOf(CloudException.class)
        .extracting(e -> ((CloudException) e).reason())
        .isEqualTo(Reason.TRANSIENT);
    fake.clearFaults();
  }

  @Test
  void badImageNetworkAndMachineTypeAreInvalidNamingTheField() {
    GcpProviderSpec spec =
        GcpTestCloud.spec(fake, "Static", List.of(new GcpRegionSpec(EU, List.of())));
    spec.setMachineType("e2-huge");
    assertThatThrownBy(() -> provider(spec, FAST, CLUSTER).launch(launch("u2", "europe-west3-a")))
        .isInstanceOf(CloudException.class)
        .hasMessageContaining("spec.gcp.machineType")
        .extracting(e -> ((CloudException) e).reason())
        .isEqualTo(Reason.INVALID);
    spec.setMachineType("e2-micro");
    spec.setImage(new io.proxyfleet.api.GcpImageSpec());
    spec.getImage().setFamily("debian-99");
    assertThatThrownBy(() -> provider(spec, FAST, CLUSTER).launch(launch("u2", "europe-west3-a")))
        .isInstanceOf(CloudException.class)
        .hasMessageContaining("spec.gcp.image")
        .extracting(e -> ((CloudException) e).reason())
        .isEqualTo(Reason.INVALID);
    spec.setImage(null);
    spec.setNetwork("nowhere");
    assertThatThrownBy(() -> provider(spec, FAST, CLUSTER).launch(launch("u2", "europe-west3-a")))
        .isInstanceOf(CloudException.class)
        .hasMessageContaining("spec.gcp.network")
        .extracting(e -> ((CloudException) e).reason())
        .isEqualTo(Reason.INVALID);
  }

  @Test
  void refusedKeyIsUnauthorizedAndCostsFewCalls() {
    key =
        GcpTestCloud.serviceAccountKey(
            fake, "stranger@proxy-project-1.iam.gserviceaccount.com", false);
    GceCloudProvider p = provider("Static", FAST);
    assertThatThrownBy(p::verifyAccess)
        .isInstanceOf(CloudException.class)
        .extracting(e -> ((CloudException) e).reason())
        .isEqualTo(Reason.UNAUTHORIZED);
    assertThat(fake.calls().size()).isLessThanOrEqualTo(4);
    assertThat(fake.calls())
        .noneMatch(c -> c.method().startsWith("compute.") && c.method().contains("insert"));
  }

  @Test
  void listingsFollowPagesAndReturnOnlyThisClustersLabelledResources() throws Exception {
    GceCloudProvider p = provider("Static", FAST);
    Instant old = Instant.now().minus(Duration.ofHours(2));
    for (int n = 0; n < 7; n++) {
      fake.putInstance(
          "europe-west3-a",
          "mine-" + n,
          Map.of("proxyfleet-cluster", CLUSTER, "proxyfleet-proxy", "p" + n),
          old);
    }
    fake.putInstance(
        "europe-west3-a",
        "theirs",
        Map.of("proxyfleet-cluster", "other", "proxyfleet-proxy", "x"),
        old);
    fake.putInstance("europe-west3-b", "unlabelled", Map.of(), old);
    fake.putAddress(
        EU, "mine-addr", Map.of("proxyfleet-cluster", CLUSTER, "proxyfleet-proxy", "p1"), old);
    fake.putAddress(EU, "foreign-addr", Map.of(), old);
    assertThat(p.listManagedInstances(EU, CLUSTER))
        .hasSize(7)
        .allSatisfy(i -> assertThat(i.tags()).containsEntry(OwnerTags.CLUSTER, CLUSTER));
    assertThat(p.listManagedInstances(EU, "other"))
        .extracting(Instance::ownerUid)
        .containsExactly("x");
    assertThat(p.listManagedAddresses(EU, CLUSTER))
        .extracting(Address::id)
        .containsExactly("mine-addr");
  }

  @Test
  void managedRegionsFindsThisClustersResourcesInRegionsTheProfileNoLongerLists() {
    GceCloudProvider p =
        provider(
            GcpTestCloud.spec(fake, "Static", List.of(new GcpRegionSpec(EU, List.of()))),
            FAST,
            CLUSTER);
    Instant old = Instant.now().minus(Duration.ofHours(2));
    fake.putInstance(
        "us-central1-f",
        "dropped",
        Map.of("proxyfleet-cluster", CLUSTER, "proxyfleet-proxy", "gone"),
        old);
    fake.putAddress(
        "europe-west1",
        "dropped-addr",
        Map.of("proxyfleet-cluster", CLUSTER, "proxyfleet-proxy", "gone"),
        old);
    fake.putAddress(
        "europe-west3",
        "kept-addr",
        Map.of("proxyfleet-cluster", CLUSTER, "proxyfleet-proxy", "here"),
        old);
    fake.putInstance("europe-west1-b", "other", Map.of("proxyfleet-cluster", "other"), old);
    assertThat(p.managedRegions(CLUSTER, java.util.Set.of(EU)))
        .containsExactly("europe-west1", "us-central1");
    assertThat(p.listManagedInstances("us-central1", CLUSTER))
        .extracting(Instance::ownerUid)
        .containsExactly("gone");
    p.terminate("us-central1", "us-central1-f/dropped");
    assertThat(fake.instances()).doesNotContainKey("us-central1-f/dropped");
    assertThatThrownBy(
            () ->
                p.launch(
                    new LaunchSpec(
                        owner("u9"),
                        "us-central1",
                        "us-central1-a",
                        Protocol.SOCKS5,
                        1080,
                        new ProxyCredentials("pf-user", "s3cret-pass"))))
        .isInstanceOf(CloudException.class)
        .hasMessageContaining("spec.gcp.regions");
  }

  @Test
  void throttlingEveryThirdCallStillLaunchesWithoutMarkingZonesUnavailable() throws Exception {
    GceCloudProvider p = provider("Static", FAST);
    fake.injectEvery(
        c -> c.method().startsWith("compute."),
        3,
        Fault.http(403, "rateLimitExceeded", "Rate Limit Exceeded"));
    int launched = 0;
    for (int n = 0; n < 6; n++) {
      String uid = UUID.randomUUID().toString();
      for (int attempt = 0; attempt < 10; attempt++) {
        try {
          p.launch(launch(uid, "europe-west3-a"));
          launched++;
          break;
        } catch (CloudException e) {
          assertThat(e.reason()).isEqualTo(Reason.THROTTLED);
        }
      }
    }
    assertThat(launched).isEqualTo(6);
    assertThat(p.unavailableZones(EU)).isEmpty();
    assertThat(fake.instances()).hasSize(6);
  }

  @Test
  void steadyStateResyncCostsTheSameCallsFor10And100Proxies() {
    long small = resyncCalls(10);
    long large = resyncCalls(100);
    System.out.printf(
        "GCE calls per steady-state resync in one region of 3 zones (findInstance for every proxy, subnets,"
            + " the collector's listings): 10 proxies: %d, 100 proxies: %d%n",
        small, large);
    assertThat(large).isEqualTo(small);
    assertThat(small).as("one list per zone plus one address list").isLessThanOrEqualTo(4);
  }

  long resyncCalls(int proxies) {
    io.proxyfleet.replay.SimulatedClock clock =
        new io.proxyfleet.replay.SimulatedClock(Instant.now());
    try (GceCloudProvider p =
        new GceCloudProviderFactory(
                "eco-" + proxies,
                GcpTestCloud.secrets(key),
                FAST.withSnapshotTtl(Duration.ofSeconds(5)),
                clock,
                new Random(2))
            .create(
                GcpTestCloud.profile(
                    "gcp",
                    GcpTestCloud.spec(fake, "Static", List.of(new GcpRegionSpec(EU, List.of()))),
                    Map.of()))) {
      List<String> uids = new java.util.ArrayList<>();
      Instant old = Instant.now().minus(Duration.ofHours(1));
      for (int i = 0; i < proxies; i++) {
        String uid = "eco-" + proxies + "-" + i;
        uids.add(uid);
        // Created behind the adapter's back: it must find them by label.
        fake.putInstance(
            "europe-west3-" + "abc".charAt(i % 3),
            "pf-" + uid,
            Map.of("proxyfleet-cluster", "eco-" + proxies, "proxyfleet-proxy", uid),
            old);
      }
      for (String uid : uids) {
        p.findInstance(EU, uid);
      }
      p.subnets(EU);
      clock.advance(Duration.ofSeconds(30));
      p.resetCalls();
      for (String uid : uids) {
        assertThat(p.findInstance(EU, uid)).isPresent();
      }
      p.subnets(EU);
      p.listManagedInstances(EU, "eco-" + proxies);
      p.listManagedAddresses(EU, "eco-" + proxies);
      return p.totalCalls();
    }
  }

  void awaitNoInstance() {
    org.awaitility.Awaitility.await("instances gone")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> fake.instances().isEmpty());
  }

  @Test
  void anUnusedFirewallRuleIsDeletedAfterTheMinimumAgeAndNeverAnotherClustersOrAHandMadeOne()
      throws Exception {
    GceCloudProvider p = provider("Static", FAST);
    String uid = UUID.randomUUID().toString();
    p.launch(launch(uid, "europe-west3-a"));
    String ours = GceCloudProvider.firewallName(CLUSTER, "default", 1080);
    assertThat(fake.firewalls()).containsOnlyKeys(ours);
    Instant old = Instant.now().minus(Duration.ofHours(2));
    // Another cluster's managed rule, and a hand-made one that borrows our naming scheme and tag.
    String theirs = GceCloudProvider.firewallName("other-cluster", "default", 1080);
    fake.putFirewall(
        theirs,
        "default",
        GceCloudProvider.firewallDescription("other-cluster", 1080),
        List.of(GceCloudProvider.firewallTag("other-cluster", 1080)),
        1080,
        old);
    String handMade = GceCloudProvider.firewallName(CLUSTER, "default", 8443);
    fake.putFirewall(
        handMade,
        "default",
        "opened by hand for a test proxy",
        List.of(GceCloudProvider.firewallTag(CLUSTER, 8443)),
        8443,
        old);

    assertThat(p.removeUnusedShared(CLUSTER, Duration.ZERO))
        .as("an instance carries the rule's tag")
        .isEmpty();
    p.terminate(EU, "europe-west3-a/pf-" + uid);
    awaitNoInstance();
    assertThat(p.removeUnusedShared("other-cluster", Duration.ZERO))
        .as("only for the provider's own cluster")
        .isEmpty();
    assertThat(p.removeUnusedShared(CLUSTER, Duration.ofHours(1)))
        .as("younger than the minimum age")
        .isEmpty();
    assertThat(fake.firewalls()).containsKey(ours);

    assertThat(p.removeUnusedShared(CLUSTER, Duration.ZERO))
        .containsExactly("firewall rule " + ours);
    assertThat(fake.firewalls()).containsOnlyKeys(theirs, handMade);
    assertThat(p.removeUnusedShared(CLUSTER, Duration.ZERO)).isEmpty();
  }

  @Test
  void aLaunchRecreatesARuleTheCollectorDeletedEvenWhenItsProcessHadSeenTheRule() throws Exception {
    GceCloudProvider collector = provider("Static", FAST);
    // A second provider object, as another profile of the same project and network would have: it
    // has seen the rule and keeps it in its cache.
    GceCloudProvider launcher =
        provider(
            GcpTestCloud.spec(fake, "Static", List.of(new GcpRegionSpec(EU, List.of()))),
            FAST,
            CLUSTER);
    try {
      String first = UUID.randomUUID().toString();
      launcher.launch(launch(first, "europe-west3-a"));
      launcher.terminate(EU, "europe-west3-a/pf-" + first);
      awaitNoInstance();
      String rule = GceCloudProvider.firewallName(CLUSTER, "default", 1080);
      assertThat(collector.removeUnusedShared(CLUSTER, Duration.ZERO))
          .containsExactly("firewall rule " + rule);
      assertThat(fake.firewalls()).isEmpty();

      String second = UUID.randomUUID().toString();
      launcher.launch(launch(second, "europe-west3-b"));
      assertThat(fake.firewalls())
          .as("the launch checked after its insert and created the rule again")
          .containsOnlyKeys(rule);
      assertThat(fake.count("compute.firewalls.insert")).isEqualTo(2);
    } finally {
      launcher.close();
    }
  }

  @Test
  void aRuleDeletedWhileALaunchInsertedAnInstanceIsPutBack() throws Exception {
    GceCloudProvider p = provider("Static", FAST);
    String uid = UUID.randomUUID().toString();
    p.launch(launch(uid, "europe-west3-a"));
    p.terminate(EU, "europe-west3-a/pf-" + uid);
    awaitNoInstance();
    String rule = GceCloudProvider.firewallName(CLUSTER, "default", 1080);
    String tag = GceCloudProvider.firewallTag(CLUSTER, 1080);
    // The collector has listed no user of the rule; as it deletes the rule, a launch elsewhere
    // inserts an instance with the tag (and checked the rule before the delete went through).
    fake.inject(
        c -> {
          if (c.method().equals("compute.firewalls.delete")) {
            fake.putInstance(
                "europe-west3-c",
                "pf-in-flight",
                Map.of("proxyfleet-cluster", CLUSTER, "proxyfleet-proxy", "in-flight"),
                List.of(tag),
                Instant.now());
          }
          return false;
        },
        Fault.http(500, "never", "never"),
        1);
    assertThat(p.removeUnusedShared(CLUSTER, Duration.ZERO))
        .as("not reported as removed")
        .isEmpty();
    assertThat(fake.firewalls())
        .as("the collector saw the new user after its delete and put the rule back")
        .containsOnlyKeys(rule);
    assertThat(fake.count("compute.firewalls.delete")).isEqualTo(1);
  }
}
