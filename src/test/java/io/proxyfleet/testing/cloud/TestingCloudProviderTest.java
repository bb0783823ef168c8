package io.proxyfleet.testing.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.ProxyCredentials;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * Each fault switch fails the calls it names with the reason the real adapters use, and only those.
 */
class TestingCloudProviderTest {

  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  final TestingCloudProvider cloud =
      new TestingCloudProvider("aws", Clock.fixed(NOW, ZoneOffset.UTC), 1)
          .withRegion("r1", "203.0.113.0/28")
          .withRegion("r2", "198.51.100.0/28");

  static OwnerTags owner(String uid) {
    return new OwnerTags("c1", "ns", "f", "f-" + uid, uid);
  }

  Instance launch(String uid, String zone) {
    return cloud.launch(
        new LaunchSpec(
            owner(uid),
            "r1",
            "subnet-r1" + zone,
            Protocol.SOCKS5,
            1080,
            new ProxyCredentials("u", "p")));
  }

  static void fails(Reason reason, ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }

  @Test
  void withoutFaultsItIsAnElasticIpCloud() {
    assertThat(cloud.subnets("r1")).extracting(s -> s.zone()).containsExactly("r1a", "r1b", "r1c");
    Instance vm = launch("u1", "a");
    assertThat(vm.state()).isEqualTo(Instance.State.RUNNING);
    Address a = cloud.allocateAddress("r1", owner("u1"), Optional.empty());
    assertThat(a.ip()).startsWith("203.0.113.");
    cloud.associateAddress("r1", vm.id(), a);
    assertThat(cloud.findInstance("r1", "u1").orElseThrow().publicIp()).isEqualTo(a.ip());
    fails(Reason.INVALID, () -> cloud.releaseAddress("r1", a));
    fails(Reason.INVALID, () -> cloud.subnets("nowhere"));
    assertThat(cloud.addressSpace("r1")).hasSize(1);
  }

  @Test
  void noCapacityFailsLaunchesInThatZoneOnlyAndHoldsTheZone() {
    cloud.noCapacity("r1b");
    fails(Reason.CAPACITY_UNAVAILABLE, () -> launch("u1", "b"));
    assertThat(launch("u2", "a").zone()).isEqualTo("r1a");
    assertThat(cloud.unavailableZones("r1")).containsExactly("r1b");
    cloud.capacityRestored("r1b");
    assertThat(launch("u1", "b").zone()).isEqualTo("r1b");
  }

  @Test
  void quotaFailsLaunchesAndAllocationsButNotReads() {
    cloud.quotaExceeded(true);
    fails(Reason.QUOTA_EXCEEDED, () -> launch("u1", "a"));
    fails(Reason.QUOTA_EXCEEDED, () -> cloud.allocateAddress("r1", owner("u1"), Optional.empty()));
    assertThat(cloud.listManagedInstances("r1", "c1")).isEmpty();
    cloud.quotaExceeded(false);
    launch("u1", "a");
  }

  @Test
  void anExhaustedRangeIsQuotaExceeded() {
    for (int i = 0; i < 16; i++) {
      cloud.allocateAddress("r1", owner("u" + i), Optional.empty());
    }
    fails(Reason.QUOTA_EXCEEDED, () -> cloud.allocateAddress("r1", owner("u16"), Optional.empty()));
  }

  @Test
  void throttledAndUnauthorizedFailEveryCall() {
    cloud.throttled(true);
    fails(Reason.THROTTLED, () -> cloud.listManagedAddresses("r1", "c1"));
    fails(Reason.THROTTLED, cloud::verifyAccess);
    cloud.throttled(false);
    cloud.unauthorized(true);
    fails(Reason.UNAUTHORIZED, () -> cloud.subnets("r1"));
    fails(Reason.UNAUTHORIZED, cloud::verifyAccess);
    cloud.unauthorized(false);
    cloud.rejectSetting("spec.aws.instanceType 'x' is not an instance type");
    assertThatThrownBy(cloud::verifyAccess).hasMessageContaining("spec.aws.instanceType");
  }

  @Test
  void aLostInstanceVanishesAndLeavesItsAddressAllocated() {
    Instance vm = launch("u1", "a");
    Address a = cloud.allocateAddress("r1", owner("u1"), Optional.empty());
    cloud.associateAddress("r1", vm.id(), a);
    assertThat(cloud.loseInstance(vm.id())).isTrue();
    assertThat(cloud.findInstance("r1", "u1")).isEmpty();
    assertThat(cloud.listManagedAddresses("r1", "c1"))
        .singleElement()
        .satisfies(x -> assertThat(x.instanceId()).isNull());
    assertThat(cloud.loseInstance(vm.id())).isFalse();
  }

  @Test
  void scriptedFailuresHitTheNamedOperationTheGivenNumberOfTimes() {
    Instance vm = launch("u1", "a");
    Address a = cloud.allocateAddress("r1", owner("u1"), Optional.empty());
    cloud.failNext("associateAddress", Reason.TRANSIENT, 2);
    fails(Reason.TRANSIENT, () -> cloud.associateAddress("r1", vm.id(), a));
    fails(Reason.TRANSIENT, () -> cloud.associateAddress("r1", vm.id(), a));
    cloud.associateAddress("r1", vm.id(), a);
    assertThat(cloud.calls("associateAddress")).as("failed calls count").isEqualTo(3);
    assertThat(cloud.calls("launch")).isEqualTo(1);
    assertThat(cloud.callCounts())
        .containsOnlyKeys("launch", "allocateAddress", "associateAddress");
    cloud.resetCallCounts();
    assertThat(cloud.callCounts()).isEmpty();
  }

  @Test
  void anInstanceLimitRefusesLaunchesBeyondItUntilAnInstanceIsGone() {
    cloud.instanceLimit(2);
    Instance first = launch("u1", "a");
    launch("u2", "b");
    fails(Reason.QUOTA_EXCEEDED, () -> launch("u3", "a"));
    assertThat(launch("u1", "a").id())
        .as("a repeated launch is no new instance")
        .isEqualTo(first.id());
    cloud.terminate("r1", first.id());
    launch("u3", "a");
    fails(Reason.QUOTA_EXCEEDED, () -> launch("u4", "c"));
    cloud.instanceLimit(Integer.MAX_VALUE);
    launch("u4", "c");
    assertThat(cloud.listManagedInstances("r1", "c1")).hasSize(3);
  }

  @Test
  void aLostAnswerFailsTheCallAfterTheCloudActed() {
    cloud.loseResponseNext("launch", Reason.TRANSIENT, 1);
    fails(Reason.TRANSIENT, () -> launch("u1", "a"));
    Instance vm = cloud.findInstance("r1", "u1").orElseThrow();
    assertThat(launch("u1", "a").id()).as("the next answer arrives").isEqualTo(vm.id());

    cloud.loseResponseNext("allocateAddress", Reason.THROTTLED, 1);
    fails(Reason.THROTTLED, () -> cloud.allocateAddress("r1", owner("u1"), Optional.empty()));
    Address a = cloud.listManagedAddresses("r1", "c1").get(0);
    assertThat(a.instanceId()).isNull();

    cloud.loseResponseNext("associateAddress", Reason.TRANSIENT, 1);
    fails(Reason.TRANSIENT, () -> cloud.associateAddress("r1", vm.id(), a));
    assertThat(cloud.findInstance("r1", "u1").orElseThrow().publicIp()).isEqualTo(a.ip());

    cloud.loseResponseNext("terminate", Reason.TRANSIENT, 1);
    fails(Reason.TRANSIENT, () -> cloud.terminate("r1", vm.id()));
    assertThat(cloud.findInstance("r1", "u1")).isEmpty();

    cloud.loseResponseNext("releaseAddress", Reason.TRANSIENT, 1);
    fails(Reason.TRANSIENT, () -> cloud.releaseAddress("r1", a));
    assertThat(cloud.listManagedAddresses("r1", "c1")).isEmpty();
    assertThat(cloud.callCounts())
        .containsExactlyInAnyOrderEntriesOf(
            java.util.Map.of(
                "launch", 2L,
                "findInstance", 3L,
                "allocateAddress", 1L,
                "listManagedAddresses", 2L,
                "associateAddress", 1L,
                "terminate", 1L,
                "releaseAddress", 1L));
    assertThatThrownBy(() -> cloud.loseResponseNext("findInstance", Reason.TRANSIENT, 1))
        .as("a read changes nothing: failNext says the same")
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void slowCallsWaitBeforeAnsweringAndBootDelayKeepsInstancesPending() {
    List<Duration> waits = new ArrayList<>();
    cloud.withSleeper(waits::add).slowCalls(Duration.ofMillis(50));
    cloud.subnets("r1");
    cloud.findInstance("r1", "u1");
    assertThat(waits).containsExactly(Duration.ofMillis(50), Duration.ofMillis(50));
    cloud.slowCalls(Duration.ZERO);
    cloud.subnets("r1");
    assertThat(waits).as("no wait when switched off").hasSize(2);
    cloud.withBootDelay(Duration.ofSeconds(30));
    assertThat(launch("u1", "a").state()).isEqualTo(Instance.State.PENDING);
  }

  @Test
  void managedRegionsAnswerFromTheWholeAccountOnlyWhenSwitchedOn() {
    cloud.launch(
        new LaunchSpec(
            owner("u1"),
            "r2",
            "subnet-r2a",
            Protocol.SOCKS5,
            1080,
            new ProxyCredentials("u", "p")));
    assertThat(cloud.managedRegions("c1", Set.of("r1"))).containsExactly("r2");
    assertThat(cloud.managedRegions("c1", Set.of("r2"))).isEmpty();
    assertThat(cloud.managedRegions("c2", Set.of())).isEmpty();
    cloud.listsWholeAccount(false);
    assertThat(cloud.managedRegions("c1", Set.of())).isEmpty();
  }
}
