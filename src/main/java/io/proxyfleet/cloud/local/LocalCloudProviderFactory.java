package io.proxyfleet.cloud.local;

import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.Durations;
import io.proxyfleet.api.LocalProviderSpec;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.CloudProviderFactory;
import java.time.Duration;
import java.util.Optional;

/**
 * Builds local providers for CloudProfiles with {@code provider: local}, all over one loopback
 * network.
 */
public final class LocalCloudProviderFactory implements CloudProviderFactory {

  private final LoopbackNetwork network;

  public LocalCloudProviderFactory(LoopbackNetwork network) {
    this.network = network;
  }

  @Override
  public String type() {
    return "local";
  }

  @Override
  public CloudProvider create(CloudProfile profile) {
    LocalProviderSpec spec =
        Optional.ofNullable(profile.getSpec().getLocal()).orElseGet(LocalProviderSpec::new);
    int subnets = Optional.ofNullable(spec.getSubnetsPerRegion()).orElse(4);
    if (subnets < 1 || subnets > 256) {
      throw new CloudException(
          CloudException.Reason.INVALID,
          "CloudProfile "
              + profile.getMetadata().getName()
              + ": spec.local.subnetsPerRegion "
              + subnets
              + " is outside 1-256");
    }
    Duration boot;
    try {
      boot = Durations.parse(Optional.ofNullable(spec.getBootDelay()).orElse("0s"));
    } catch (IllegalArgumentException e) {
      throw new CloudException(
          CloudException.Reason.INVALID,
          "CloudProfile "
              + profile.getMetadata().getName()
              + ": spec.local.bootDelay "
              + e.getMessage());
    }
    return new LocalCloudProvider(network, subnets, boot);
  }
}
