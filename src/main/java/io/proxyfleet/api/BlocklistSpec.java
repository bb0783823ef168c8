package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/** Where the blocked ranges come from. */
public class BlocklistSpec extends TolerantSpec {
  /** Twice a source's default: a list may merge two large feeds. */
  public static final int DEFAULT_MAX_ENTRIES = 4_000_000;

  public static final int MAX_MAX_ENTRIES = 60_000_000;

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

  @io.fabric8.generator.annotation.Default("4000000")
  @io.fabric8.generator.annotation.Min(1)
  @io.fabric8.generator.annotation.Max(MAX_MAX_ENTRIES)
  @JsonPropertyDescription(
      "Most values the whole list may hold across cidrs and sources (default 4000000, at most"
          + " 60000000). A source read while the list is near the limit gets only what is left;"
          + " past it the source is Stale (TooLarge) and its last good version stays in force.")
  private Integer maxEntries = DEFAULT_MAX_ENTRIES;

  public Integer getMaxEntries() {
    return maxEntries;
  }

  public void setMaxEntries(Integer maxEntries) {
    this.maxEntries = maxEntries;
  }

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
