package io.proxyfleet.cloud.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.cloud.CloudException;
import java.time.Clock;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The local provider's settings are checked when its provider is built, naming the field. */
class LocalCloudProviderFactoryTest {

  final LoopbackNetwork network = new LoopbackNetwork(Clock.systemUTC(), new SplittableRandom(1));
  final LocalCloudProviderFactory factory = new LocalCloudProviderFactory(network);

  @AfterEach
  void close() {
    network.close();
  }

  static CloudProfile profile(String local) {
    return new KubernetesSerialization()
        .unmarshal(
            """
        apiVersion: proxyfleet.io/v1alpha1
        kind: CloudProfile
        metadata: {name: lo, namespace: default}
        spec: {provider: local, local: %s}
        """
                .formatted(local),
            CloudProfile.class);
  }

  @Test
  void defaultsGiveFourSubnetsPerRegion() {
    assertThat(factory.create(profile("{}")).subnets("local-9")).hasSize(4);
    assertThat(factory.create(profile("{subnetsPerRegion: 256, bootDelay: 2s}")).subnets("local-9"))
        .hasSize(256);
  }

  @Test
  void badSettingsNameTheirField() {
    for (String bad : new String[] {"{subnetsPerRegion: 0}", "{subnetsPerRegion: 257}"}) {
      assertThatThrownBy(() -> factory.create(profile(bad)))
          .isInstanceOfSatisfying(
              CloudException.class,
              e -> assertThat(e.reason()).isEqualTo(CloudException.Reason.INVALID))
          .hasMessageContaining("spec.local.subnetsPerRegion")
          .hasMessageContaining("1-256");
    }
    assertThatThrownBy(() -> factory.create(profile("{bootDelay: soon}")))
        .isInstanceOfSatisfying(
            CloudException.class,
            e -> assertThat(e.reason()).isEqualTo(CloudException.Reason.INVALID))
        .hasMessageContaining("spec.local.bootDelay");
  }
}
