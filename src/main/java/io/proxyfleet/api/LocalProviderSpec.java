package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/**
 * The local provider: proxies on loopback addresses. Region {@code local-R} is 127.R.0.0/16 and its
 * subnets are 127.R.S.0/24.
 */
public class LocalProviderSpec {
  @Default("4")
  @Min(1)
  @Max(256)
  @JsonPropertyDescription("Subnets per region (127.R.0.0/24 … 127.R.(n-1).0/24).")
  private Integer subnetsPerRegion = 4;

  @Default("0s")
  @Pattern(Durations.PATTERN)
  @JsonPropertyDescription("Simulated boot time of a VM (Go duration), to rehearse slow clouds.")
  private String bootDelay = "0s";

  public Integer getSubnetsPerRegion() {
    return subnetsPerRegion;
  }

  public void setSubnetsPerRegion(Integer subnetsPerRegion) {
    this.subnetsPerRegion = subnetsPerRegion;
  }

  public String getBootDelay() {
    return bootDelay;
  }

  public void setBootDelay(String bootDelay) {
    this.bootDelay = bootDelay;
  }
}
