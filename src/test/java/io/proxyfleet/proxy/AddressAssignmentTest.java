package io.proxyfleet.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.cloud.local.LocalCloudProvider;
import io.proxyfleet.cloud.local.LoopbackNetwork;
import java.lang.reflect.InvocationTargetException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Addresses a pass draws are never left reserved when attaching them fails. */
class AddressAssignmentTest {

  static final String CLUSTER = "test";
  static final String REGION = "local-61";
  final LoopbackNetwork network = new LoopbackNetwork(Clock.systemUTC(), new SplittableRandom(3));
  final LocalCloudProvider cloud = new LocalCloudProvider(network, 2, Duration.ZERO);

  @AfterEach
  void close() {
    network.close();
  }

  /** The local cloud, except that the first {@code failures} attaches fail as a GCE refusal would. */
  static CloudProvider failingAttach(CloudProvider real, int failures) {
    AtomicInteger left = new AtomicInteger(failures);
    return (CloudProvider) java.lang.reflect.Proxy.newProxyInstance(CloudProvider.class.getClassLoader(), new Class<?>[] {CloudProvider.class},
        (proxy, method, args) -> {
          if (method.getName().equals("associateAddress") && left.getAndDecrement() > 0) {
            throw new CloudException(CloudException.Reason.TRANSIENT, "the instance already has an access config");
          }
          try {
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @Test
  void anAddressDrawnByAPassWhoseAttachFailsIsReleased() {
    OwnerTags owner = new OwnerTags(CLUSTER, "default", "fleet", "proxy-a", "uid-a");
    Instance instance = cloud.launch(new LaunchSpec(owner, REGION, REGION + "-s0", Protocol.SOCKS5, 20_000 + new SplittableRandom().nextInt(20_000),
        new ProxyCredentials("u", "p")));
    AddressAssignment assignment = new AddressAssignment(CLUSTER, 10);
    CloudProvider flaky = failingAttach(cloud, 1);

    assertThatThrownBy(() -> assignment.assignClean(flaky, REGION, owner, instance, Optional.empty(), ip -> Optional.empty()))
        .isInstanceOf(CloudException.class);
    assertThat(cloud.listManagedAddresses(REGION, CLUSTER)).as("nothing left reserved").isEmpty();

    AddressAssignment.Result second = assignment.assignClean(flaky, REGION, owner, instance, Optional.empty(), ip -> Optional.empty());
    assertThat(second.clean()).isTrue();
    assertThat(cloud.listManagedAddresses(REGION, CLUSTER)).singleElement()
        .satisfies(a -> assertThat(a.instanceId()).isEqualTo(instance.id()));
  }
}
