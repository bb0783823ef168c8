package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import java.util.ArrayList;
import java.util.List;

/** Where the blocked ranges come from. */
public class BlocklistSpec {
  @JsonPropertyDescription(
      "Blocked IPv4/IPv6 addresses or CIDRs, e.g. 52.58.0.0/15 or 2a05:d014::/36. Entries that do not"
          + " parse are skipped and reported in status.")
  private List<@Pattern("^[0-9a-fA-F:.]+(/[0-9]{1,3})?$") String> cidrs = new ArrayList<>();

  public List<String> getCidrs() {
    return cidrs;
  }

  public void setCidrs(List<String> cidrs) {
    this.cidrs = cidrs;
  }
}
