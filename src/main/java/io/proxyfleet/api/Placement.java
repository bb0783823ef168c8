package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/** One cloud profile and the regions of it a fleet may use. */
public class Placement {

  @Required
  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  @JsonPropertyDescription("Name of a CloudProfile in the fleet's namespace.")
  private String cloudProfile;

  @Required
  @Size(min = 1, max = 64)
  @JsonPropertyDescription(
      "Regions of that profile to run proxies in, e.g. eu-central-1 (AWS), europe-west3 (GCP),"
          + " local-1 (local). Proxies are spread evenly over them.")
  private List<String> regions = new ArrayList<>();

  @Default("1")
  @Min(1)
  @Max(1000)
  @JsonPropertyDescription("Relative share of the fleet's replicas this entry receives (1-1000).")
  private Integer weight = 1;

  public Placement() {}

  public Placement(String cloudProfile, List<String> regions, int weight) {
    this.cloudProfile = cloudProfile;
    this.regions = new ArrayList<>(regions);
    this.weight = weight;
  }

  public String getCloudProfile() {
    return cloudProfile;
  }

  public void setCloudProfile(String cloudProfile) {
    this.cloudProfile = cloudProfile;
  }

  public List<String> getRegions() {
    return regions;
  }

  public void setRegions(List<String> regions) {
    this.regions = regions;
  }

  public Integer getWeight() {
    return weight;
  }

  public void setWeight(Integer weight) {
    this.weight = weight;
  }
}
