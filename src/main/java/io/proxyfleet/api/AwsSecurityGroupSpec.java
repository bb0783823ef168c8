package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import java.util.ArrayList;
import java.util.List;

/** Security groups you manage yourself. */
public class AwsSecurityGroupSpec {

  @JsonPropertyDescription(
      "Security group ids; a proxy gets those that belong to its subnet's VPC. They must open the fleet's"
          + " port. Empty: the operator manages one group per VPC and port.")
  private List<@Pattern("^sg-[0-9a-f]{8,17}$") String> ids = new ArrayList<>();

  public List<String> getIds() {
    return ids;
  }

  public void setIds(List<String> ids) {
    this.ids = ids;
  }
}
