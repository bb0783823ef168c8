package io.proxyfleet.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.proxyfleet.api.ApiGroup;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.api.ProxyStatus;
import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.BlockIndexRegistry;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.CloudProviderFactory;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.decide.ProxyStep;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.gc.GarbageCollector;
import io.proxyfleet.local.CustomResourceDefinitions;
import io.proxyfleet.status.Conditions;
import io.proxyfleet.testing.cloud.SettableClock;
import io.proxyfleet.testing.cloud.TestingCloudProvider;
import io.proxyfleet.testing.reconcile.TestContexts;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Proxy passes that fail half-way, called directly on a clock the test moves, against local mode's
 * embedded API and a {@link TestingCloudProvider} as the only cloud. After every fault the next
 * passes must converge on exactly one instance and one address owned by the proxy, with nothing
 * left behind in the cloud's ledger: the reconciler's crash safety comes from finding its resources
 * by owner tag, and these tests hold it to that.
 *
 * <p>"The status write was lost" (JOSDK's patch failed on an API error after the cloud calls) is
 * modelled by reconciling the Proxy as the server still holds it instead of the returned one: the
 * test never writes the returned status back unless it says so.
 */
class ProxyReconcilerCloudFaultsTest {

  static final String CLUSTER = "test";
  static final String REGION = "eu-central-1";
  static final String ZONE = "eu-central-1a";
  static final String NAME = "unit-abcde";
  static final String ROTATION = "Blocked@2026-03-01T12:00:00Z";

  final SettableClock clock = new SettableClock(Instant.parse("2026-03-01T12:00:00Z"));
  final TestingCloudProvider cloud =
      new TestingCloudProvider("aws", clock, 7).withRegion(REGION, "203.0.113.0/24");
  EmbeddedKubernetes api;
  KubernetesClient client;
  CloudProviders providers;
  ProxyReconciler reconciler;
  CloudProfile profile;
  ProxyFleet fleet;
  String uid;

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
    reconciler =
        new ProxyReconciler(
            providers, blocklists, new EventRecorder(client, clock, "test"), clock, CLUSTER, 5);
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
            spec: {replicas: 1, protocol: socks5, port: 1080, placement: [{cloudProfile: aws, regions: [eu-central-1]}], blocklists: [manual]}
            """,
            ProxyFleet.class);
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("unit-credentials")
                .withNamespace("default")
                .endMetadata()
                .addToStringData("username", "u")
                .addToStringData("password", "p")
                .build())
        .create();
    Proxy proxy =
        create(
            """
            apiVersion: proxyfleet.io/v1alpha1
            kind: Proxy
            metadata: {name: %s, namespace: default, labels: {proxyfleet.io/fleet: unit}}
            spec: {fleet: unit, cloudProfile: aws, provider: aws, region: %s, subnet: subnet-%s, protocol: socks5, port: 1080,
                   credentialsSecret: unit-credentials}
            """
                .formatted(NAME, REGION, ZONE),
            Proxy.class);
    uid = proxy.getMetadata().getUid();
    // The launch timeout counts from the server's creation time: start the clock there.
    clock.set(Instant.parse(proxy.getMetadata().getCreationTimestamp()));
  }

  @AfterEach
  void stop() {
    providers.close();
    api.close();
  }

  // ---- 1. The VM is launched but the pass's outcome never reaches the Proxy's status. ----

  @Test
  void aLaunchWhoseStatusWriteIsLostIsFoundByItsOwnerTagAndNotLaunchedAgain() {
    Pass first = reconcile(stored());
    assertServesOnOneInstanceAndOneAddress(first.proxy());
    String instance = first.status().getInstanceId();

    assertThat(recordedInstance(stored())).as("the status patch failed").isEmpty();
    Pass second = reconcile(stored());

    assertServesOnOneInstanceAndOneAddress(second.proxy());
    assertThat(second.status().getInstanceId()).isEqualTo(instance);
    assertThat(cloud.calls("launch")).isEqualTo(1);
    assertThat(cloud.calls("allocateAddress")).as("the attached address is kept").isEqualTo(1);
    assertThat(cloud.ledger().launches()).isEqualTo(1);
    assertThat(cloud.ledger().allocations()).isEqualTo(1);
  }

  @Test
  void aPassThatLaunchedThenFailedAndLostItsStatusIsFinishedOnTheSameInstance() {
    cloud.failNext("allocateAddress", Reason.THROTTLED, 1);
    Pass first = reconcile(stored());
    assertThat(first.status().getInstanceId()).isNotNull();
    assertThat(instances()).hasSize(1);
    assertThat(addresses()).isEmpty();

    Pass second = reconcile(stored());

    assertServesOnOneInstanceAndOneAddress(second.proxy());
    assertThat(second.status().getInstanceId()).isEqualTo(first.status().getInstanceId());
    assertThat(cloud.calls("launch")).isEqualTo(1);
    assertThat(cloud.calls("allocateAddress")).as("one refused, one drawn").isEqualTo(2);
    assertThat(cloud.ledger().allocations()).isEqualTo(1);
  }

  @Test
  void aLaunchWhoseAnswerIsLostIsAdoptedByItsOwnerTagNotLaunchedAgain() {
    cloud.loseResponseNext("launch", Reason.TRANSIENT, 1);

    Pass first = reconcile(stored());
    assertThat(first.status().getPhase()).isEqualTo(ProxyPhase.Pending);
    assertThat(ladder(first.proxy()))
        .containsExactly(
            "Launched=False/NotLaunched",
            "AddressAssigned=False/NoAddress",
            "Blocked=False/NotBlocked",
            "Ready=False/CloudError");
    assertThat(first.requeue()).contains(retryAfter(Reason.TRANSIENT)).contains(seconds(5));
    assertThat(instances()).as("the cloud launched it all the same").hasSize(1);

    Pass second = reconcile(first.proxy());

    assertServesOnOneInstanceAndOneAddress(second.proxy());
    assertThat(cloud.calls("launch")).isEqualTo(1);
    assertThat(cloud.ledger().launches()).isEqualTo(1);
  }

  @Test
  void aBootingInstanceWhoseStatusWriteIsLostIsWaitedForNotLaunchedAgain() {
    cloud.withBootDelay(Duration.ofSeconds(40));

    Pass first = reconcile(stored());
    assertThat(first.status().getPhase()).isEqualTo(ProxyPhase.Launching);
    assertThat(reason(first.proxy(), "Ready")).isEqualTo("Booting");
    assertThat(first.requeue()).contains(ProxyStep.BOOT_POLL);

    clock.advance(Duration.ofSeconds(10));
    Pass second = reconcile(stored());
    assertThat(second.status().getPhase()).isEqualTo(ProxyPhase.Launching);
    assertThat(second.status().getInstanceId()).isEqualTo(first.status().getInstanceId());

    clock.advance(Duration.ofSeconds(31));
    Pass third = reconcile(stored());

    assertServesOnOneInstanceAndOneAddress(third.proxy());
    assertThat(cloud.calls("launch")).isEqualTo(1);
    assertThat(cloud.ledger().launches()).isEqualTo(1);
  }

  // ---- 2. Launch succeeds, the address allocation fails once. ----

  @ParameterizedTest(name = "{0} → {1}, again in {2} s")
  @CsvSource({
    "THROTTLED, Throttled, 10",
    "QUOTA_EXCEEDED, QuotaExceeded, 60",
    "TRANSIENT, CloudError, 5"
  })
  void anAllocationRefusedAfterTheLaunchKeepsTheInstanceAndTheNextPassConverges(
      Reason error, String reason, long requeueSeconds) {
    cloud.failNext("allocateAddress", error, 1);

    Pass first = reconcile(stored());

    Instance vm = instances().get(0);
    assertThat(instances()).hasSize(1);
    assertThat(addresses()).isEmpty();
    assertThat(first.status().getInstanceId()).isEqualTo(vm.id());
    assertThat(first.status().getZone()).isEqualTo(ZONE);
    assertThat(first.status().getPublicIp()).isNull();
    // Its VM exists, so it waits as Launching, not Pending (ProxyStep.onCloudError).
    assertThat(first.status().getPhase()).isEqualTo(ProxyPhase.Launching);
    assertThat(ladder(first.proxy()))
        .containsExactly(
            "Launched=True/InstanceCreated",
            "AddressAssigned=False/NoAddress",
            "Blocked=False/NotBlocked",
            "Ready=False/" + reason);
    assertThat(first.requeue()).contains(seconds(requeueSeconds)).contains(retryAfter(error));
    assertThat(warningCount("QuotaExceeded"))
        .as("quota is worth an event, a throttle or a blip is not")
        .isEqualTo(error == Reason.QUOTA_EXCEEDED ? 1 : 0);

    Pass second = reconcile(first.proxy());

    assertServesOnOneInstanceAndOneAddress(second.proxy());
    assertThat(second.status().getInstanceId()).isEqualTo(vm.id());
    assertThat(cloud.calls("launch")).isEqualTo(1);
    assertThat(cloud.calls("allocateAddress")).isEqualTo(2);
    assertThat(cloud.ledger().allocations()).isEqualTo(1);
  }

  @Test
  void anAllocationWhoseAnswerIsLostIsAdoptedNotDrawnAgain() {
    cloud.loseResponseNext("allocateAddress", Reason.TRANSIENT, 1);

    Pass first = reconcile(stored());

    assertThat(reason(first.proxy(), "Ready")).isEqualTo("CloudError");
    assertThat(addresses())
        .as("reserved by the cloud all the same")
        .singleElement()
        .satisfies(a -> assertThat(a.instanceId()).isNull());
    String reserved = addresses().get(0).id();

    Pass second = reconcile(first.proxy());

    assertServesOnOneInstanceAndOneAddress(second.proxy());
    assertThat(second.status().getAddressId()).isEqualTo(reserved);
    assertThat(cloud.calls("allocateAddress")).isEqualTo(1);
  }

  // ---- 3. The address is drawn, attaching it fails. ----

  @Test
  void anAttachThatFailsGivesTheDrawnAddressBackAndTheNextPassConverges() {
    cloud.failNext("associateAddress", Reason.THROTTLED, 1);

    Pass first = reconcile(stored());

    assertThat(reason(first.proxy(), "Ready")).isEqualTo("Throttled");
    assertThat(first.requeue()).contains(seconds(10));
    assertThat(instances()).hasSize(1);
    assertThat(addresses()).as("the drawn address is not left reserved").isEmpty();
    assertThat(cloud.calls("releaseAddress")).isEqualTo(1);

    Pass second = reconcile(first.proxy());

    assertServesOnOneInstanceAndOneAddress(second.proxy());
    assertThat(cloud.calls("allocateAddress")).isEqualTo(2);
    assertThat(cloud.ledger().allocations()).isEqualTo(2);
  }

  @Test
  void anAddressLeftByAFailedAttachAndAFailedGiveBackIsAdoptedNotDrawnAgain() {
    cloud.failNext("associateAddress", Reason.THROTTLED, 1);
    cloud.failNext("releaseAddress", Reason.THROTTLED, 1);

    Pass first = reconcile(stored());

    assertThat(addresses())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.ownerUid()).isEqualTo(uid);
              assertThat(a.instanceId()).isNull();
            });
    String stray = addresses().get(0).id();

    Pass second = reconcile(first.proxy());

    assertServesOnOneInstanceAndOneAddress(second.proxy());
    assertThat(second.status().getAddressId()).isEqualTo(stray);
    assertThat(cloud.calls("allocateAddress")).isEqualTo(1);
  }

  @Test
  void anAttachWhoseAnswerIsLostServesOnTheAttachedAddress() {
    cloud.loseResponseNext("associateAddress", Reason.TRANSIENT, 1);

    Pass first = reconcile(stored());

    assertThat(reason(first.proxy(), "Ready")).isEqualTo("CloudError");
    assertThat(addresses())
        .as("the cloud refused to release an address it had attached")
        .singleElement()
        .satisfies(a -> assertThat(a.instanceId()).isEqualTo(instances().get(0).id()));

    Pass second = reconcile(first.proxy());

    assertServesOnOneInstanceAndOneAddress(second.proxy());
    assertThat(cloud.calls("allocateAddress")).isEqualTo(1);
  }

  @Test
  void aRotationWhoseAttachFailsKeepsServingOnTheOldAddressAndFinishesOnTheNextPass() {
    Proxy running = withRotationRequest(reconcile(stored()).proxy());
    Address old = addresses().get(0);
    cloud.failNext("associateAddress", Reason.THROTTLED, 1);

    Pass midway = reconcile(running);

    assertThat(midway.status().getPhase()).isEqualTo(ProxyPhase.Rotating);
    assertThat(ladder(midway.proxy()))
        .containsExactly(
            "Launched=True/InstanceCreated",
            "AddressAssigned=False/Rotating",
            "Blocked=False/NotBlocked",
            "Ready=False/Throttled");
    assertThat(midway.status().getPublicIp()).isEqualTo(old.ip());
    assertThat(addresses())
        .as("the drawn address was given back; the old one still serves")
        .containsExactly(cloud.ledger().address(old.id()).orElseThrow());
    assertThat(instances().get(0).publicIp()).isEqualTo(old.ip());

    Pass after = reconcile(midway.proxy());

    assertServesOnOneInstanceAndOneAddress(after.proxy());
    assertThat(after.status().getPublicIp()).isNotEqualTo(old.ip());
    assertThat(after.status().getIpRotations()).isEqualTo(1);
    assertThat(after.status().getIpRotationHandled()).isEqualTo(ROTATION);
    assertThat(cloud.ledger().address(old.id())).isEmpty();
    assertThat(cloud.ledger().allocations()).isEqualTo(3);
  }

  @Test
  void aRotationWhoseAttachAnswerIsLostKeepsTheNewAddressAndReleasesTheOld() {
    Proxy running = withRotationRequest(reconcile(stored()).proxy());
    Address old = addresses().get(0);
    cloud.loseResponseNext("associateAddress", Reason.TRANSIENT, 1);

    Pass midway = reconcile(running);

    assertThat(midway.status().getPhase()).isEqualTo(ProxyPhase.Rotating);
    assertThat(midway.status().getPublicIp()).as("not recorded yet").isEqualTo(old.ip());
    String moved = instances().get(0).publicIp();
    assertThat(moved).as("the cloud did swap").isNotEqualTo(old.ip());
    assertThat(addresses()).hasSize(2);

    Pass after = reconcile(midway.proxy());

    assertServesOnOneInstanceAndOneAddress(after.proxy());
    assertThat(after.status().getPublicIp()).isEqualTo(moved);
    assertThat(after.status().getIpRotations()).isEqualTo(1);
    assertThat(cloud.ledger().address(old.id())).isEmpty();
    assertThat(cloud.calls("allocateAddress")).as("no second draw").isEqualTo(2);
  }

  @Test
  void aRotationWhoseOldAddressIsNotReleasedFinishesOnTheNextPass() {
    Proxy running = withRotationRequest(reconcile(stored()).proxy());
    Address old = addresses().get(0);
    cloud.failNext("releaseAddress", Reason.THROTTLED, 1);

    Pass midway = reconcile(running);

    assertThat(midway.status().getPhase()).isEqualTo(ProxyPhase.Rotating);
    assertThat(reason(midway.proxy(), "Ready")).isEqualTo("Throttled");
    String moved = instances().get(0).publicIp();
    assertThat(addresses()).hasSize(2);

    Pass after = reconcile(midway.proxy());

    assertServesOnOneInstanceAndOneAddress(after.proxy());
    assertThat(after.status().getPublicIp()).isEqualTo(moved);
    assertThat(after.status().getIpRotations()).isEqualTo(1);
    assertThat(cloud.ledger().address(old.id())).isEmpty();
    assertThat(cloud.calls("allocateAddress")).isEqualTo(2);
  }

  @Test
  void aRotationWhoseStatusWriteIsLostIsNotCarriedOutTwice() {
    Proxy running = withRotationRequest(reconcile(stored()).proxy());
    Proxy beforeRotation = client.getKubernetesSerialization().clone(running);

    Pass rotated = reconcile(running);
    String moved = rotated.status().getPublicIp();
    assertThat(rotated.status().getIpRotations()).isEqualTo(1);

    // Inside the reconciler's memory of handled requests, a Proxy that does not show the answer
    // is only looked at again later.
    Pass stale = reconcile(beforeRotation);
    assertThat(stale.control().getResource()).isEmpty();
    assertThat(stale.requeue()).isPresent();

    clock.advance(ProxyReconciler.HANDLED_ROTATION_MEMORY.plusSeconds(1));
    Pass after = reconcile(beforeRotation);

    assertServesOnOneInstanceAndOneAddress(after.proxy());
    assertThat(after.status().getPublicIp()).isEqualTo(moved);
    assertThat(after.status().getIpRotations()).isEqualTo(1);
    assertThat(after.status().getIpRotationHandled()).isEqualTo(ROTATION);
    assertThat(cloud.calls("allocateAddress")).as("one draw for the rotation").isEqualTo(2);
    assertThat(cloud.calls("associateAddress")).isEqualTo(2);
  }

  // ---- 4. A fault switch on when a fresh proxy is first reconciled. ----

  enum Fault {
    QUOTA("QuotaExceeded", seconds(60), 1, c -> c.quotaExceeded(true), c -> c.quotaExceeded(false)),
    CAPACITY(
        "CapacityUnavailable",
        seconds(60),
        1,
        c -> c.noCapacity(ZONE),
        c -> c.capacityRestored(ZONE)),
    THROTTLED("Throttled", seconds(10), 0, c -> c.throttled(true), c -> c.throttled(false)),
    // Nothing to retry until the profile or its Secret changes, and the profile informer says so.
    UNAUTHORIZED("Unauthorized", null, 0, c -> c.unauthorized(true), c -> c.unauthorized(false));

    final String reason;
    final Duration requeue;
    final int launchesPerPass;
    final Consumer<TestingCloudProvider> on;
    final Consumer<TestingCloudProvider> off;

    Fault(
        String reason,
        Duration requeue,
        int launchesPerPass,
        Consumer<TestingCloudProvider> on,
        Consumer<TestingCloudProvider> off) {
      this.reason = reason;
      this.requeue = requeue;
      this.launchesPerPass = launchesPerPass;
      this.on = on;
      this.off = off;
    }
  }

  @ParameterizedTest
  @EnumSource(Fault.class)
  void aFaultOnAFreshProxyLaunchesNothingSaysWhyAndConvergesOnceItIsOff(Fault fault) {
    fault.on.accept(cloud);

    Pass first = reconcile(stored());
    clock.advance(Duration.ofSeconds(70));
    Pass second = reconcile(first.proxy());

    for (Pass pass : List.of(first, second)) {
      assertThat(pass.status().getPhase()).isEqualTo(ProxyPhase.Pending);
      assertThat(ladder(pass.proxy()))
          .containsExactly(
              "Launched=False/NotLaunched",
              "AddressAssigned=False/NoAddress",
              "Blocked=False/NotBlocked",
              "Ready=False/" + fault.reason);
      assertThat(pass.requeue()).isEqualTo(Optional.ofNullable(fault.requeue));
      assertThat(pass.requeue())
          .isEqualTo(
              Optional.ofNullable(
                  ((ProxyStep.Retry) ProxyStep.onCloudError(cloudReason(fault), null)).backoff()));
    }
    assertThat(second.control().isNoUpdate()).as("nothing new to write").isTrue();
    assertThat(instances()).isEmpty();
    assertThat(addresses()).isEmpty();
    assertThat(cloud.calls("launch")).isEqualTo(2L * fault.launchesPerPass);
    boolean eventful = fault == Fault.QUOTA || fault == Fault.CAPACITY;
    assertThat(warningCount(fault.reason))
        .as("each refused launch counted on one event")
        .isEqualTo(eventful ? 2 : 0);
    if (fault == Fault.CAPACITY) {
      assertThat(cloud.unavailableZones(REGION))
          .as("the fleet's planner avoids the zone")
          .containsExactly(ZONE);
    }

    fault.off.accept(cloud);
    clock.advance(Duration.ofSeconds(70));
    Pass third = reconcile(second.proxy());

    assertServesOnOneInstanceAndOneAddress(third.proxy());
    assertThat(cloud.calls("launch")).isEqualTo(2L * fault.launchesPerPass + 1);
    assertThat(cloud.ledger().launches()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(
      value = Fault.class,
      names = {"THROTTLED", "UNAUTHORIZED"})
  void aRunningProxyWhoseCloudRefusesEveryCallKeepsServingAndChangesNothingInTheCloud(Fault fault) {
    Pass running = reconcile(stored());
    String ip = running.status().getPublicIp();
    fault.on.accept(cloud);

    Pass refused = reconcile(running.proxy());

    // The VM still serves; what failed is the operator's view of it, and Ready's reason says so.
    assertThat(refused.status().getPhase()).isEqualTo(ProxyPhase.Running);
    assertThat(refused.status().getPublicIp()).isEqualTo(ip);
    assertThat(status(refused.proxy(), "Ready")).isEqualTo("True");
    assertThat(reason(refused.proxy(), "Ready")).isEqualTo(fault.reason);
    assertThat(refused.requeue()).isEqualTo(Optional.ofNullable(fault.requeue));

    fault.off.accept(cloud);
    Pass after = reconcile(refused.proxy());

    assertServesOnOneInstanceAndOneAddress(after.proxy());
    assertThat(after.status().getPublicIp()).isEqualTo(ip);
    assertThat(cloud.calls("launch")).isEqualTo(1);
    assertThat(cloud.calls("allocateAddress")).isEqualTo(1);
  }

  // ---- 5. The instance of a Running proxy is lost. ----

  @Test
  void aLostInstanceFailsTheProxyAndItsAddressWaitsForTheProxysCleanup() {
    Pass running = reconcile(stored());
    String instance = running.status().getInstanceId();
    Address address = addresses().get(0);
    assertThat(cloud.loseInstance(instance)).isTrue();

    Pass failed = reconcile(running.proxy());

    assertThat(failed.status().getPhase()).isEqualTo(ProxyPhase.Failed);
    assertThat(reason(failed.proxy(), "Ready")).isEqualTo("InstanceLost");
    assertThat(status(failed.proxy(), "Ready")).isEqualTo("False");
    assertThat(failed.requeue()).as("the fleet replaces it").isEmpty();
    assertThat(warningCount("InstanceLost")).isEqualTo(1);
    assertThat(instances()).isEmpty();
    assertThat(addresses())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.id()).isEqualTo(address.id());
              assertThat(a.ownerUid()).isEqualTo(uid);
              assertThat(a.instanceId()).isNull();
            });

    Pass again = reconcile(failed.proxy());
    assertThat(again.status().getPhase()).isEqualTo(ProxyPhase.Failed);
    assertThat(again.control().isNoUpdate()).isTrue();
    assertThat(cloud.calls("launch")).as("a failed proxy is replaced, not relaunched").isEqualTo(1);

    // The collector leaves the address of an existing, non-Running proxy to its cleanup.
    client.resource(failed.proxy()).patchStatus();
    clock.advance(Duration.ofMinutes(30));
    GarbageCollector.Report report =
        new GarbageCollector(
                client,
                providers,
                new EventRecorder(client, clock, "test"),
                clock,
                CLUSTER,
                Duration.ofMinutes(5))
            .collect();
    assertThat(report.releasedAddresses()).isEmpty();
    assertThat(addresses()).hasSize(1);

    DeleteControl deleted = reconciler.cleanup(stored(), context());

    assertThat(deleted.isRemoveFinalizer()).isTrue();
    assertThat(instances()).isEmpty();
    assertThat(addresses()).isEmpty();
    assertThat(cloud.calls("terminate")).as("nothing left to terminate").isZero();
  }

  @Test
  void anInstanceLostBeforeItsLaunchWasRecordedIsLaunchedAgainOnTheSameAddress() {
    Pass first = reconcile(stored());
    Address address = addresses().get(0);
    cloud.loseInstance(first.status().getInstanceId());

    Pass second = reconcile(stored());

    assertServesOnOneInstanceAndOneAddress(second.proxy());
    assertThat(second.status().getInstanceId()).isNotEqualTo(first.status().getInstanceId());
    assertThat(second.status().getAddressId())
        .as("the address the lost instance left is adopted")
        .isEqualTo(address.id());
    assertThat(cloud.ledger().launches()).isEqualTo(2);
    assertThat(cloud.ledger().allocations()).isEqualTo(1);
  }

  // ---- 6. The finalizer's cleanup fails half-way. ----

  @ParameterizedTest(name = "{0} {1} with {2}")
  @CsvSource({
    "terminate, fails, TRANSIENT, 5, 1, 1",
    "terminate, loses its answer, TRANSIENT, 5, 0, 1",
    "releaseAddress, fails, THROTTLED, 10, 0, 1",
    "releaseAddress, loses its answer, TRANSIENT, 5, 0, 0",
    "findInstance, fails, UNAUTHORIZED, 300, 1, 1",
    "findInstance, fails, INVALID, 300, 1, 1"
  })
  void aCleanupThatFailsHalfWayKeepsTheFinalizerAndTheNextOneLeavesNothing(
      String operation,
      String how,
      Reason error,
      long requeueSeconds,
      int instancesLeft,
      int addressesLeft) {
    client.resource(reconcile(stored()).proxy()).patchStatus();
    if (how.equals("fails")) {
      cloud.failNext(operation, error, 1);
    } else {
      cloud.loseResponseNext(operation, error, 1);
    }

    DeleteControl first = reconciler.cleanup(stored(), context());

    assertThat(first.isRemoveFinalizer()).isFalse();
    assertThat(first.getScheduleDelay()).contains(seconds(requeueSeconds).toMillis());
    assertThat(warningCount("CleanupFailed")).isEqualTo(1);
    assertThat(stored().getStatus().getPhase()).isEqualTo(ProxyPhase.Terminating);
    assertThat(reason(stored(), "Ready")).isEqualTo("Terminating");
    assertThat(instances()).hasSize(instancesLeft);
    assertThat(addresses()).hasSize(addressesLeft);

    DeleteControl second = reconciler.cleanup(stored(), context());

    assertThat(second.isRemoveFinalizer()).isTrue();
    assertThat(instances()).isEmpty();
    assertThat(addresses()).isEmpty();
    assertThat(cloud.ledger().regionsOf(CLUSTER)).as("nothing of the proxy anywhere").isEmpty();
  }

  @Test
  void aProxyDeletedBeforeItsLaunchWasRecordedLeavesNothingBehind() {
    cloud.failNext("associateAddress", Reason.THROTTLED, 1);
    cloud.failNext("releaseAddress", Reason.THROTTLED, 1);
    reconcile(stored());
    assertThat(instances()).hasSize(1);
    assertThat(addresses()).hasSize(1);
    assertThat(recordedInstance(stored())).isEmpty();

    DeleteControl deleted = reconciler.cleanup(stored(), context());

    assertThat(deleted.isRemoveFinalizer()).isTrue();
    assertThat(cloud.ledger().regionsOf(CLUSTER)).isEmpty();
  }

  // ---- Helpers. ----

  /** One reconcile pass: what the reconciler asked JOSDK to do, and the Proxy as it would be. */
  record Pass(UpdateControl<Proxy> control, Proxy proxy) {
    ProxyStatus status() {
      return proxy.getStatus();
    }

    Optional<Duration> requeue() {
      return control.getScheduleDelay().map(Duration::ofMillis);
    }
  }

  Pass reconcile(Proxy proxy) {
    // reconcile() sets the new status on the object it is given: keep the caller's copy intact.
    Proxy input = client.getKubernetesSerialization().clone(proxy);
    UpdateControl<Proxy> control = reconciler.reconcile(input, context());
    return new Pass(control, control.getResource().orElse(input));
  }

  /** The Proxy as the API server holds it: no status unless the test wrote one. */
  Proxy stored() {
    return client.resources(Proxy.class).inNamespace("default").withName(NAME).get();
  }

  Proxy withRotationRequest(Proxy proxy) {
    Proxy copy = client.getKubernetesSerialization().clone(proxy);
    Map<String, String> annotations =
        new HashMap<>(Optional.ofNullable(copy.getMetadata().getAnnotations()).orElse(Map.of()));
    annotations.put(ApiGroup.ROTATE_IP_ANNOTATION, ROTATION);
    copy.getMetadata().setAnnotations(annotations);
    return copy;
  }

  List<Instance> instances() {
    return cloud.ledger().listInstances(REGION, CLUSTER);
  }

  List<Address> addresses() {
    return cloud.ledger().listAddresses(REGION, CLUSTER);
  }

  /**
   * Serving, and the cloud holds exactly one instance and one address, both the proxy's, attached
   * to each other and recorded in its status.
   */
  void assertServesOnOneInstanceAndOneAddress(Proxy proxy) {
    ProxyStatus status = proxy.getStatus();
    assertThat(status.getPhase()).isEqualTo(ProxyPhase.Running);
    assertThat(ladder(proxy))
        .containsExactly(
            "Launched=True/InstanceCreated",
            "AddressAssigned=True/AddressAttached",
            "Blocked=False/NotBlocked",
            "Ready=True/Serving");
    assertThat(instances()).hasSize(1);
    assertThat(addresses()).hasSize(1);
    Instance vm = instances().get(0);
    Address address = addresses().get(0);
    assertThat(vm.ownerUid()).isEqualTo(uid);
    assertThat(address.ownerUid()).isEqualTo(uid);
    assertThat(address.instanceId()).isEqualTo(vm.id());
    assertThat(vm.publicIp()).isEqualTo(address.ip());
    assertThat(status.getInstanceId()).isEqualTo(vm.id());
    assertThat(status.getZone()).isEqualTo(ZONE);
    assertThat(status.getPublicIp()).isEqualTo(address.ip());
    assertThat(status.getAddressId()).isEqualTo(address.id());
  }

  static List<String> ladder(Proxy proxy) {
    return proxy.getStatus().getConditions().stream()
        .map(c -> c.getType() + "=" + c.getStatus() + "/" + c.getReason())
        .toList();
  }

  static String reason(Proxy proxy, String type) {
    return Conditions.find(proxy.getStatus().getConditions(), type).orElseThrow().getReason();
  }

  static String status(Proxy proxy, String type) {
    return Conditions.find(proxy.getStatus().getConditions(), type).orElseThrow().getStatus();
  }

  static Optional<String> recordedInstance(Proxy proxy) {
    return Optional.ofNullable(proxy.getStatus()).map(ProxyStatus::getInstanceId);
  }

  static Duration seconds(long s) {
    return Duration.ofSeconds(s);
  }

  static Duration retryAfter(Reason error) {
    return ((ProxyStep.Retry) ProxyStep.onCloudError(error, ProxyPhase.Pending)).backoff();
  }

  static Reason cloudReason(Fault fault) {
    return switch (fault) {
      case QUOTA -> Reason.QUOTA_EXCEEDED;
      case CAPACITY -> Reason.CAPACITY_UNAVAILABLE;
      case THROTTLED -> Reason.THROTTLED;
      case UNAUTHORIZED -> Reason.UNAUTHORIZED;
    };
  }

  /** Warning events about the proxy with this reason, counting repeats folded into one event. */
  int warningCount(String reason) {
    return client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> NAME.equals(e.getInvolvedObject().getName()))
        .filter(e -> EventRecorder.WARNING.equals(e.getType()) && reason.equals(e.getReason()))
        .mapToInt(e -> Optional.ofNullable(e.getCount()).orElse(1))
        .sum();
  }

  <T extends HasMetadata> T create(String yaml, Class<T> type) {
    return client.resource(client.getKubernetesSerialization().unmarshal(yaml, type)).create();
  }

  Context<Proxy> context() {
    return TestContexts.context(
        client,
        type ->
            type == ProxyFleet.class
                ? List.of(fleet)
                : type == CloudProfile.class ? List.of(profile) : List.of());
  }
}
