package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** One GCE region of a profile, with the zones and subnetwork proxies use there. */
@ValidationRule(
    value = "!has(self.zones) || self.zones.all(z, z.startsWith(self.name + '-'))",
    message = "every zone must belong to its region, e.g. europe-west3-a for europe-west3")
public class GcpRegionSpec {

  @Required
  @Size(max = 40)
  @Pattern(GcpProviderSpec.REGION_PATTERN)
  @JsonPropertyDescription("Region name, e.g. europe-west3.")
  private String name;

  @Size(max = 16)
  @JsonPropertyDescription(
      "Zones proxies may use, e.g. [europe-west3-a, europe-west3-b]. Default: every zone GCE lists for the region.")
  private List<@Size(max = 42) @Pattern("^[a-z]+-[a-z]+[0-9]+-[a-z]$") String> zones =
      new ArrayList<>();

  @Pattern(GcpProviderSpec.NAME_PATTERN)
  @JsonPropertyDescription(
      "Subnetwork of the profile's network in this region. Default: the network's auto-mode subnetwork.")
  private String subnetwork;

  public GcpRegionSpec() {}

  public GcpRegionSpec(String name, List<String> zones) {
    this.name = name;
    this.zones = new ArrayList<>(zones);
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public List<String> getZones() {
    return zones;
  }

  public void setZones(List<String> zones) {
    this.zones = zones;
  }

  public String getSubnetwork() {
    return subnetwork;
  }

  public void setSubnetwork(String subnetwork) {
    this.subnetwork = subnetwork;
  }
}
