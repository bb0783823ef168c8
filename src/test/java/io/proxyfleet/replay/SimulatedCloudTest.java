package io.proxyfleet.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.ranges.CloudRanges;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SimulatedCloudTest {

  final SimulatedClock clock = new SimulatedClock(Instant.parse("2018-04-16T00:00:00Z"));
  final OwnerTags owner = new OwnerTags("replay", "ns", "f", "f-1", "uid-1");

  SimulatedCloud cloud(CloudRanges ranges) {
    return new SimulatedCloud(
        "aws", ranges, clock, new SplittableRandom(3), Duration.ofSeconds(30), 2);
  }

  Instance launch(SimulatedCloud cloud, OwnerTags o) {
    return cloud.launch(
        new LaunchSpec(
            o, "r1", "subnet-r1-a", Protocol.SOCKS5, 443, new ProxyCredentials("u", "p")));
  }

  @Test
  void instancesBootOnTheClockAndLaunchIsIdempotent() throws Exception {
    SimulatedCloud cloud = cloud(BlockadeReplayTest.ranges("r1", "10.0.0.0/24"));
    Instance i = launch(cloud, owner);
    assertThat(i.state()).isEqualTo(Instance.State.PENDING);
    assertThat(i.zone()).isEqualTo("r1a");
    assertThat(launch(cloud, owner).id()).isEqualTo(i.id());
    assertThat(cloud.launches()).isEqualTo(1);
    assertThat(cloud.nextBootAfter(clock.instant())).contains(clock.instant().plusSeconds(30));
    clock.set(clock.instant().plusSeconds(30));
    assertThat(cloud.findInstance("r1", "uid-1").orElseThrow().state())
        .isEqualTo(Instance.State.RUNNING);
    assertThat(cloud.nextBootAfter(clock.instant())).isEmpty();
    cloud.terminate("r1", i.id());
    assertThat(cloud.findInstance("r1", "uid-1")).isEmpty();
    assertThat(cloud.listManagedInstances("r1", "replay")).isEmpty();
  }

  @Test
  void addressesFollowElasticIpSemantics() throws Exception {
    SimulatedCloud cloud =
        cloud(BlockadeReplayTest.ranges("r1", "10.0.0.0/24", "r1", "192.168.7.0/30"));
    Instance i = launch(cloud, owner);
    Address a = cloud.allocateAddress("r1", owner, Optional.empty());
    Address b = cloud.allocateAddress("r1", owner, Optional.empty());
    assertThat(a.ip()).isNotEqualTo(b.ip());
    assertThat(
            IpAddresses.parseRange("10.0.0.0/24").startLo() <= IpAddresses.parseIpv4(a.ip())
                || a.ip().startsWith("192.168.7."))
        .isTrue();
    cloud.associateAddress("r1", i.id(), a);
    assertThat(cloud.findInstance("r1", "uid-1").orElseThrow().publicIp()).isEqualTo(a.ip());
    assertThatThrownBy(() -> cloud.releaseAddress("r1", a))
        .isInstanceOf(CloudException.class)
        .hasMessageContaining("is associated with instance");
    // Associating b replaces a, which stays allocated until released.
    cloud.associateAddress("r1", i.id(), b);
    assertThat(cloud.listManagedAddresses("r1", "replay"))
        .extracting(Address::instanceId)
        .containsExactlyInAnyOrder(null, i.id());
    cloud.releaseAddress("r1", a);
    // Terminating leaves b allocated and unassociated, as an Elastic IP.
    cloud.terminate("r1", i.id());
    assertThat(cloud.listManagedAddresses("r1", "replay"))
        .singleElement()
        .satisfies(x -> assertThat(x.instanceId()).isNull());
    assertThat(cloud.allocations()).isEqualTo(2);
  }

  @Test
  void drawsAreWeightedByPrefixSize() throws Exception {
    // A /22 and a /24: four times as many draws should land in the /22.
    SimulatedCloud cloud =
        cloud(BlockadeReplayTest.ranges("r1", "10.0.0.0/22", "r1", "10.9.0.0/24"));
    int big = 0;
    int n = 1000;
    for (int k = 0; k < n; k++) {
      Address a =
          cloud.allocateAddress(
              "r1", new OwnerTags("replay", "ns", "f", "p" + k, "u" + k), Optional.empty());
      if (a.ip().startsWith("10.0.")) big++;
      cloud.releaseAddress("r1", a);
    }
    assertThat(big / (double) n).isBetween(0.74, 0.86);
  }

  @Test
  void anUnknownRegionNamesTheChoices() throws Exception {
    SimulatedCloud cloud = cloud(BlockadeReplayTest.ranges("r1", "10.0.0.0/24"));
    assertThatThrownBy(() -> cloud.subnets("mars-1"))
        .isInstanceOf(CloudException.class)
        .hasMessageContaining("'mars-1'")
        .hasMessageContaining("[r1]")
        .satisfies(
            e ->
                assertThat(((CloudException) e).reason()).isEqualTo(CloudException.Reason.INVALID));
  }
}
