package io.proxyfleet.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.proxyfleet.api.ApiGroup;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.api.ProxyStatus;
import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.BlockIndexRegistry;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.CloudProviderFactory;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.cloud.local.LocalCloudProvider;
import io.proxyfleet.cloud.local.LoopbackNetwork;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.local.CustomResourceDefinitions;
import io.proxyfleet.status.Conditions;
import io.proxyfleet.testing.reconcile.TestContexts;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy loop called directly on a fixed clock, against local mode's embedded API and the
 * loopback cloud behind a switch that fails address association, as a cloud would mid-swap.
 */
class ProxyReconcilerTest {

  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  EmbeddedKubernetes api;
  KubernetesClient client;
  LoopbackNetwork network;
  CloudProviders providers;
  ProxyReconciler reconciler;
  volatile boolean associateFails;
  CloudProfile profile;
  ProxyFleet fleet;

  @BeforeEach
  void start() {
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    api.installCrds(CustomResourceDefinitions.all());
    client = api.client();
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    network = new LoopbackNetwork(clock, new SplittableRandom(1));
    CloudProvider local = new LocalCloudProvider(network, 2, Duration.ZERO);
    providers =
        new CloudProviders(
            List.of(
                new CloudProviderFactory() {
                  @Override
                  public String type() {
                    return "local";
                  }

                  @Override
                  public CloudProvider create(CloudProfile ignored) {
                    return new AssociateSwitch(local);
                  }
                }));
    BlockIndexRegistry blocklists = new BlockIndexRegistry();
    blocklists.publish("manual", BlockIndex.EMPTY);
    reconciler =
        new ProxyReconciler(
            providers, blocklists, new EventRecorder(client, clock, "test"), clock, "test", 5);
    profile =
        create(
            """
        apiVersion: proxyfleet.io/v1alpha1
        kind: CloudProfile
        metadata: {name: local, namespace: default}
        spec: {provider: local, local: {subnetsPerRegion: 2}}
        """,
            CloudProfile.class);
    fleet =
        create(
            """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: unit, namespace: default}
        spec: {replicas: 1, protocol: socks5, port: 1080, placement: [{cloudProfile: local, regions: [local-71]}], blocklists: [manual]}
        """,
            ProxyFleet.class);
    Secret credentials =
        new SecretBuilder()
            .withNewMetadata()
            .withName("unit-credentials")
            .withNamespace("default")
            .endMetadata()
            .addToStringData("username", "u")
            .addToStringData("password", "p")
            .build();
    client.resource(credentials).create();
  }

  @AfterEach
  void stop() {
    providers.close();
    network.close();
    api.close();
  }

  /** The loopback cloud, with association failing while the switch is on. */
  final class AssociateSwitch implements CloudProvider {
    private final CloudProvider cloud;

    AssociateSwitch(CloudProvider cloud) {
      this.cloud = cloud;
    }

    @Override
    public String type() {
      return cloud.type();
    }

    @Override
    public List<io.proxyfleet.block.IpRange> addressSpace(String region) {
      return cloud.addressSpace(region);
    }

    @Override
    public List<Subnet> subnets(String region) {
      return cloud.subnets(region);
    }

    @Override
    public Optional<Instance> findInstance(String region, String ownerUid) {
      return cloud.findInstance(region, ownerUid);
    }

    @Override
    public Instance launch(LaunchSpec spec) {
      return cloud.launch(spec);
    }

    @Override
    public void terminate(String region, String instanceId) {
      cloud.terminate(region, instanceId);
    }

    @Override
    public List<Instance> listManagedInstances(String region, String cluster) {
      return cloud.listManagedInstances(region, cluster);
    }

    @Override
    public Address allocateAddress(String region, OwnerTags owner, Optional<String> subnetHint) {
      return cloud.allocateAddress(region, owner, subnetHint);
    }

    @Override
    public List<Address> listManagedAddresses(String region, String cluster) {
      return cloud.listManagedAddresses(region, cluster);
    }

    @Override
    public void releaseAddress(String region, Address address) {
      cloud.releaseAddress(region, address);
    }

    @Override
    public void associateAddress(String region, String instanceId, Address address) {
      if (associateFails) {
        throw new CloudException(CloudException.Reason.THROTTLED, "RequestLimitExceeded: injected");
      }
      cloud.associateAddress(region, instanceId, address);
    }
  }

  <T extends io.fabric8.kubernetes.api.model.HasMetadata> T create(String yaml, Class<T> type) {
    return client.resource(client.getKubernetesSerialization().unmarshal(yaml, type)).create();
  }

  Proxy newProxy() {
    return create(
        """
        apiVersion: proxyfleet.io/v1alpha1
        kind: Proxy
        metadata: {name: unit-abcde, namespace: default, labels: {proxyfleet.io/fleet: unit}}
        spec: {fleet: unit, cloudProfile: local, provider: local, region: local-71, subnet: local-71-s0, protocol: socks5, port: 1080,
               credentialsSecret: unit-credentials}
        """,
        Proxy.class);
  }

  Context<Proxy> context() {
    return TestContexts.context(
        client,
        type ->
            type == ProxyFleet.class
                ? List.of(fleet)
                : type == CloudProfile.class ? List.of(profile) : List.of(),
        () -> Optional.ofNullable(retrying));
  }

  Proxy reconcile(Proxy proxy) {
    return reconciler.reconcile(proxy, context()).getResource().orElse(proxy);
  }

  /** What an engineer does by hand: the rotate-ip annotation with a new value. */
  static void askForNewIp(Proxy proxy, String request) {
    Map<String, String> annotations =
        new HashMap<>(Optional.ofNullable(proxy.getMetadata().getAnnotations()).orElse(Map.of()));
    annotations.put(ApiGroup.ROTATE_IP_ANNOTATION, request);
    proxy.getMetadata().setAnnotations(annotations);
  }

  static String reason(Proxy proxy, String type) {
    return Conditions.find(proxy.getStatus().getConditions(), type).orElseThrow().getReason();
  }

  @Test
  void aFreshProxyIsLaunchedAndServesInOnePass() {
    Proxy proxy = reconcile(newProxy());

    ProxyStatus status = proxy.getStatus();
    assertThat(status.getPhase()).isEqualTo(ProxyPhase.Running);
    assertThat(status.getPublicIp()).startsWith("127.71.0.");
    assertThat(reason(proxy, "Ready")).isEqualTo("Serving");
    assertThat(status.getConditions())
        .extracting(c -> c.getType() + "=" + c.getStatus() + "/" + c.getReason())
        .as("the ladder, in order")
        .containsExactly(
            "Launched=True/InstanceCreated",
            "AddressAssigned=True/AddressAttached",
            "Blocked=False/NotBlocked",
            "Ready=True/Serving");
    assertThat(
            Conditions.find(status.getConditions(), "Ready").orElseThrow().getLastTransitionTime())
        .isEqualTo("2026-03-01T12:00:00Z");
    assertThat(status.getIpAssignedAt()).isEqualTo("2026-03-01T12:00:00Z");
    assertThat(client.v1().events().inNamespace("default").list().getItems())
        .as("a launch and its address in one pass are one event, not Launched and IPAssigned")
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getReason()).isEqualTo("Launched");
              assertThat(e.getMessage())
                  .startsWith("Launched instance ")
                  .contains(" in local-71 (local-71-s0)")
                  .endsWith(", serving on " + status.getPublicIp() + ":1080");
            });
  }

  @Test
  void anIpSwapThatFailsHalfWayShowsRotatingAndFinishesOnTheNextPass() {
    Proxy proxy = reconcile(newProxy());
    String before = proxy.getStatus().getPublicIp();
    askForNewIp(proxy, "Blocked@2026-03-01T12:00:00Z");
    associateFails = true;

    Proxy midway = reconcile(proxy);
    assertThat(midway.getStatus().getPhase())
        .as("the new address is allocated but not attached")
        .isEqualTo(ProxyPhase.Rotating);
    assertThat(reason(midway, "Ready")).isEqualTo("Throttled");
    assertThat(reason(midway, "Launched")).isEqualTo("InstanceCreated");
    assertThat(reason(midway, "AddressAssigned")).as("a swap in flight").isEqualTo("Rotating");
    assertThat(midway.getStatus().getIpRotationHandled()).isNull();

    associateFails = false;
    Proxy after = reconcile(midway);
    assertThat(after.getStatus().getPhase()).isEqualTo(ProxyPhase.Running);
    assertThat(after.getStatus().getPublicIp()).isNotEqualTo(before);
    assertThat(after.getStatus().getIpRotationHandled()).isEqualTo("Blocked@2026-03-01T12:00:00Z");
    assertThat(after.getStatus().getIpRotations()).isEqualTo(1);
    assertThat(reason(after, "AddressAssigned")).isEqualTo("AddressAttached");
  }

  @Test
  void aStaleCachedProxyDoesNotRotateTheSameRequestTwice() {
    Proxy proxy = reconcile(newProxy());
    String before = proxy.getStatus().getPublicIp();
    askForNewIp(proxy, "Blocked@2026-03-01T12:00:00Z");
    // What the informer may still hold when the next reconcile starts: the request, not our answer.
    Proxy stale = client.getKubernetesSerialization().clone(proxy);

    Proxy after = reconcile(proxy);
    String rotatedTo = after.getStatus().getPublicIp();
    assertThat(rotatedTo).isNotEqualTo(before);

    var again = reconciler.reconcile(stale, context());
    assertThat(again.getResource()).as("nothing written from the stale copy").isEmpty();
    assertThat(again.getScheduleDelay()).as("looked at again once the cache caught up").isPresent();
    assertThat(network.openListeners()).isEqualTo(1);
    // The cache catches up: the request shows handled, and nothing moves.
    Proxy caughtUp = reconcile(after);
    assertThat(caughtUp.getStatus().getPublicIp()).isEqualTo(rotatedTo);
    assertThat(caughtUp.getStatus().getIpRotations()).isEqualTo(1);
  }

  @Test
  void aRotationWhoseStatusWriteFailedIsRecordedOnTheRetryWithoutASecondSwap() {
    Proxy proxy = reconcile(newProxy());
    String before = proxy.getStatus().getPublicIp();
    askForNewIp(proxy, "Blocked@2026-03-01T12:00:00Z");
    // The pass swaps the address, then its status write fails (a conflict): JOSDK retries with
    // the same cached Proxy, which shows the request unhandled.
    Proxy unwritten = client.getKubernetesSerialization().clone(proxy);
    String rotatedTo = reconcile(proxy).getStatus().getPublicIp();
    assertThat(rotatedTo).isNotEqualTo(before);

    retrying =
        new RetryInfo() {
          @Override
          public int getAttemptCount() {
            return 1;
          }

          @Override
          public boolean isLastAttempt() {
            return false;
          }
        };
    var retry = reconciler.reconcile(unwritten, context());

    assertThat(retry.isPatchStatus())
        .as("the retry writes the outcome at once, not after the handled-request memory")
        .isTrue();
    ProxyStatus status = retry.getResource().orElseThrow().getStatus();
    assertThat(status.getIpRotationHandled()).isEqualTo("Blocked@2026-03-01T12:00:00Z");
    assertThat(status.getPublicIp())
        .as("the address the failed pass attached")
        .isEqualTo(rotatedTo);
    assertThat(status.getIpRotations()).isEqualTo(1);
    assertThat(network.openListeners()).as("no second swap").isEqualTo(1);
  }

  @Test
  void cleanupShowsTerminatingWhileItTearsTheVmDown() {
    Proxy proxy = reconcile(newProxy());
    client.resource(proxy).patchStatus();

    reconciler.cleanup(client.resource(proxy).get(), context());

    Proxy stored = client.resource(proxy).get();
    assertThat(stored.getStatus().getPhase()).isEqualTo(ProxyPhase.Terminating);
    assertThat(reason(stored, "Ready")).isEqualTo("Terminating");
    assertThat(network.openListeners()).as("the VM is gone").isZero();
  }

  /** What JOSDK tells a reconcile about earlier failed attempts; none unless a test sets it. */
  RetryInfo retrying;

  static final String FLEET_REQUEST = "Blocked-1772366400000";

  @Test
  void aRequestInTheFleetsStatusAndOneInTheAnnotationAreEachServedOnce() {
    Proxy proxy = reconcile(newProxy());
    String first = proxy.getStatus().getPublicIp();
    askForNewIp(proxy, "by-hand");
    Proxy byHand = reconcile(proxy);
    String second = byHand.getStatus().getPublicIp();
    assertThat(second).isNotEqualTo(first);
    assertThat(byHand.getStatus().getIpRotationHandled()).isEqualTo("by-hand");
    assertThat(byHand.getStatus().getFleetRotationHandled()).isNull();

    fleet.setStatus(new io.proxyfleet.api.ProxyFleetStatus());
    fleet.getStatus().setIpRotationRequests(Map.of("unit-abcde", FLEET_REQUEST, "other", "x-1"));
    Proxy byFleet = reconcile(byHand);
    assertThat(byFleet.getStatus().getPublicIp()).isNotIn(first, second);
    assertThat(byFleet.getStatus().getFleetRotationHandled()).isEqualTo(FLEET_REQUEST);
    assertThat(byFleet.getStatus().getIpRotationHandled())
        .as("the annotation's record is its own")
        .isEqualTo("by-hand");
    assertThat(byFleet.getStatus().getIpRotations()).isEqualTo(2);
    assertThat(client.v1().events().inNamespace("default").list().getItems())
        .filteredOn(e -> "IPRotated".equals(e.getReason()))
        .extracting(e -> e.getMessage())
        .anyMatch(m -> m.endsWith("(" + FLEET_REQUEST + ")"));

    Proxy settled = reconcile(reconcile(byFleet));
    assertThat(settled.getStatus().getPublicIp())
        .as("serving the fleet's request did not make the served annotation new, nor the reverse")
        .isEqualTo(byFleet.getStatus().getPublicIp());
    assertThat(settled.getStatus().getIpRotations()).isEqualTo(2);
  }

  @Test
  void aFleetsStatusChangeWakesOnlyTheProxiesWithANewRequest() {
    ProxyReconciler.FleetChanges changes = new ProxyReconciler.FleetChanges();
    List<Proxy> proxies = new java.util.ArrayList<>();
    for (String name : List.of("unit-a", "unit-b", "unit-c")) {
      Proxy p = new Proxy();
      p.setMetadata(
          new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
              .withName(name)
              .withNamespace("default")
              .build());
      p.setSpec(new io.proxyfleet.api.ProxySpec());
      p.getSpec().setFleet("unit");
      p.setStatus(new ProxyStatus());
      proxies.add(p);
    }
    java.util.function.Function<java.util.function.Predicate<Proxy>, java.util.stream.Stream<Proxy>>
        cache = filter -> proxies.stream().filter(filter);
    fleet.getMetadata().setGeneration(1L);
    fleet.setStatus(new io.proxyfleet.api.ProxyFleetStatus());

    assertThat(changes.proxiesToWake(fleet, cache)).as("seen for the first time: all").hasSize(3);
    assertThat(changes.proxiesToWake(fleet, cache)).as("nothing new").isEmpty();

    fleet.getStatus().setIpRotationRequests(Map.of("unit-a", "Blocked-1", "unit-b", "Blocked-1"));
    assertThat(changes.proxiesToWake(fleet, cache))
        .extracting(ResourceID::getName)
        .containsExactlyInAnyOrder("unit-a", "unit-b");

    proxies.get(0).getStatus().setFleetRotationHandled("Blocked-1");
    fleet
        .getStatus()
        .setIpRotationRequests(Map.of("unit-b", "Blocked-1", "unit-c", "MaxAge-2", "unit-a", "x"));
    assertThat(changes.proxiesToWake(fleet, cache))
        .as("a changed or added request wakes its proxy; one already asked for does not")
        .extracting(ResourceID::getName)
        .containsExactlyInAnyOrder("unit-a", "unit-c");

    fleet.getMetadata().setGeneration(2L);
    assertThat(changes.proxiesToWake(fleet, cache)).as("a new spec: all").hasSize(3);
  }
}
