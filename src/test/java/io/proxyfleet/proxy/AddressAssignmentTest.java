package io.proxyfleet.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.testing.cloud.TestingCloudProvider;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Addresses a pass draws are never left reserved when attaching them fails. */
class AddressAssignmentTest {

  static final String CLUSTER = "test";
  static final String REGION = "r1";
  final TestingCloudProvider cloud =
      new TestingCloudProvider(
              "gcp", Clock.fixed(Instant.parse("2026-03-01T12:00:00Z"), ZoneOffset.UTC), 3)
          .withRegion(REGION, "203.0.113.0/24");

  @Test
  void anAddressDrawnByAPassWhoseAttachFailsIsReleased() {
    OwnerTags owner = new OwnerTags(CLUSTER, "default", "fleet", "proxy-a", "uid-a");
    Instance instance =
        cloud.launch(
            new LaunchSpec(
                owner,
                REGION,
                "subnet-r1a",
                Protocol.SOCKS5,
                1080,
                new ProxyCredentials("u", "p")));
    AddressAssignment assignment = new AddressAssignment(CLUSTER, 10);
    // As a GCE refusal would: the instance already has an access config.
    cloud.failNext("associateAddress", CloudException.Reason.TRANSIENT, 1);

    assertThatThrownBy(
            () ->
                assignment.assignClean(
                    cloud, REGION, owner, instance, Optional.empty(), ip -> Optional.empty()))
        .isInstanceOf(CloudException.class);
    assertThat(cloud.listManagedAddresses(REGION, CLUSTER)).as("nothing left reserved").isEmpty();

    AddressAssignment.Result second =
        assignment.assignClean(
            cloud, REGION, owner, instance, Optional.empty(), ip -> Optional.empty());
    assertThat(second.clean()).isTrue();
    assertThat(cloud.listManagedAddresses(REGION, CLUSTER))
        .singleElement()
        .satisfies(a -> assertThat(a.instanceId()).isEqualTo(instance.id()));
    assertThat(cloud.calls("allocateAddress")).as("one draw per pass").isEqualTo(2);
    assertThat(cloud.calls("releaseAddress")).as("the failed pass released its draw").isEqualTo(1);
  }
}
