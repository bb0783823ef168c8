package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Subnets by id and/or by tags; the union is used, per region. */
@ValidationRule(
    value = "(has(self.ids) && size(self.ids) > 0) || (has(self.tags) && size(self.tags) > 0)",
    message = "set subnets.ids or subnets.tags")
public class AwsSubnetSelector {

  @JsonPropertyDescription(
      "Subnet ids, from any of the profile's regions; each region uses those that exist there.")
  private List<@Pattern("^subnet-[0-9a-f]{8,17}$") String> ids = new ArrayList<>();

  @JsonPropertyDescription(
      "Tags a subnet must all carry, e.g. {proxyfleet.io/use: proxies}; matched in every region.")
  private Map<String, String> tags = new LinkedHashMap<>();

  public List<String> getIds() {
    return ids;
  }

  public void setIds(List<String> ids) {
    this.ids = ids;
  }

  public Map<String, String> getTags() {
    return tags;
  }

  public void setTags(Map<String, String> tags) {
    this.tags = tags;
  }
}
