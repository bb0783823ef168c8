package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.LinkedHashMap;
import java.util.Map;

/** An AMI per region, or an owner and name filter resolved in each region. */
@ValidationRule(
    value = "(has(self.ids) && size(self.ids) > 0) || (has(self.owner) && has(self.name))",
    message = "set image.ids (region -> AMI id) or both image.owner and image.name")
public class AwsImageSpec {

  @JsonPropertyDescription(
      "AMI id per region, e.g. {eu-central-1: ami-0123456789abcdef0}. Wins over owner/name for the regions it lists.")
  private Map<String, @Pattern("^ami-[0-9a-f]{8,17}$") String> ids = new LinkedHashMap<>();

  @Pattern("^([0-9]{12}|self|amazon|aws-marketplace)$")
  @JsonPropertyDescription(
      "Image owner: an account id (136693071363 is Debian, 099720109477 Canonical) or amazon, self.")
  private String owner;

  @Pattern("^[A-Za-z0-9()\\[\\]./\\-'@_*? ]{1,128}$")
  @JsonPropertyDescription(
      "Image name filter with * and ? wildcards, e.g. debian-12-amd64-*. The newest match (CreationDate) wins.")
  private String name;

  public Map<String, String> getIds() {
    return ids;
  }

  public void setIds(Map<String, String> ids) {
    this.ids = ids;
  }

  public String getOwner() {
    return owner;
  }

  public void setOwner(String owner) {
    this.owner = owner;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }
}
