package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/** Where the blocked ranges come from. */
public class BlocklistSpec extends TolerantSpec {
  @JsonPropertyDescription(
      "Blocked IPv4/IPv6 addresses or CIDRs, e.g. 52.58.0.0/15 or 2a05:d014::/36. Entries that do not"
          + " parse are skipped and reported in status.")
  private List<@Pattern("^[0-9a-fA-F:.]+(/[0-9]{1,3})?$") String> cidrs = new ArrayList<>();

  @Size(max = 32)
  @JsonPropertyDescription(
      "Lists fetched from URLs or read from ConfigMaps. The published index is the merge of cidrs and"
          + " every source's last good version: a failed fetch or a broken file never removes ranges.")
  private List<BlocklistSource> sources = new ArrayList<>();

  @JsonPropertyDescription(
      "Feed sanity guard: updates that would newly block an absurd share of the address space are"
          + " held until accepted with the annotation proxyfleet.io/accept-update: <hash>.")
  private BlocklistGuardSpec guard;

  public List<String> getCidrs() {
    return cidrs;
  }

  public void setCidrs(List<String> cidrs) {
    this.cidrs = cidrs;
  }

  public List<BlocklistSource> getSources() {
    return sources;
  }

  public void setSources(List<BlocklistSource> sources) {
    this.sources = sources;
  }

  public BlocklistGuardSpec getGuard() {
    return guard;
  }

  public void setGuard(BlocklistGuardSpec guard) {
    this.guard = guard;
  }
}
