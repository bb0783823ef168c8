package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What the operator made of a blocklist. */
public class BlocklistStatus {
  @JsonPropertyDescription("The generation this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription("Values read that parsed (addresses and CIDRs, before merging).")
  private Integer entries = 0;

  @JsonPropertyDescription("IPv4 addresses covered after merging overlapping ranges.")
  private Long ipv4Addresses = 0L;

  @JsonPropertyDescription("Merged ranges (IPv4 and IPv6).")
  private Integer ranges = 0;

  @JsonPropertyDescription("Merged IPv6 ranges.")
  private Integer ipv6Ranges = 0;

  @JsonPropertyDescription("Values skipped because they did not parse.")
  private Integer parseErrors = 0;

  @JsonPropertyDescription("The first few parse errors with their source and line.")
  private List<String> errors = new ArrayList<>();

  @JsonPropertyDescription(
      "sha256 of the merged index in force: the same ranges give the same hash, whatever the sources, their order or format.")
  private String hash;

  @JsonPropertyDescription("When the index in force last changed.")
  private String lastChangeTime;

  @JsonPropertyDescription("The update held by the feed sanity guard, if any.")
  private BlocklistHeldVersion held;

  @JsonPropertyDescription("Per source: what was read, when, and the last failure.")
  private List<BlocklistSourceStatus> sources = new ArrayList<>();

  @JsonPropertyDescription(
      "Ready (index published from every source), Stale (a source failed; its last good version stays in force), Degraded (entries skipped or spec problems), Held (an update is held by the guard).")
  private List<Condition> conditions = new ArrayList<>();

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public Integer getEntries() {
    return entries;
  }

  public void setEntries(Integer entries) {
    this.entries = entries;
  }

  public Long getIpv4Addresses() {
    return ipv4Addresses;
  }

  public void setIpv4Addresses(Long ipv4Addresses) {
    this.ipv4Addresses = ipv4Addresses;
  }

  public Integer getRanges() {
    return ranges;
  }

  public void setRanges(Integer ranges) {
    this.ranges = ranges;
  }

  public Integer getIpv6Ranges() {
    return ipv6Ranges;
  }

  public void setIpv6Ranges(Integer ipv6Ranges) {
    this.ipv6Ranges = ipv6Ranges;
  }

  public Integer getParseErrors() {
    return parseErrors;
  }

  public void setParseErrors(Integer parseErrors) {
    this.parseErrors = parseErrors;
  }

  public List<String> getErrors() {
    return errors;
  }

  public void setErrors(List<String> errors) {
    this.errors = errors;
  }

  public String getHash() {
    return hash;
  }

  public void setHash(String hash) {
    this.hash = hash;
  }

  public String getLastChangeTime() {
    return lastChangeTime;
  }

  public void setLastChangeTime(String lastChangeTime) {
    this.lastChangeTime = lastChangeTime;
  }

  public BlocklistHeldVersion getHeld() {
    return held;
  }

  public void setHeld(BlocklistHeldVersion held) {
    this.held = held;
  }

  public List<BlocklistSourceStatus> getSources() {
    return sources;
  }

  public void setSources(List<BlocklistSourceStatus> sources) {
    this.sources = sources;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }
}
