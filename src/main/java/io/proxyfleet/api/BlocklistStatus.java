package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What the operator made of a blocklist. */
public class BlocklistStatus {
  @JsonPropertyDescription("The generation this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription("Entries read that parsed.")
  private Integer entries = 0;

  @JsonPropertyDescription("IPv4 addresses covered after merging overlapping ranges.")
  private Long ipv4Addresses = 0L;

  @JsonPropertyDescription("Merged ranges (IPv4 and IPv6) in the index.")
  private Integer ranges = 0;

  @JsonPropertyDescription("Entries skipped because they did not parse.")
  private Integer parseErrors = 0;

  @JsonPropertyDescription("The first few parse errors with their position.")
  private List<String> errors = new ArrayList<>();

  @JsonPropertyDescription("Ready (index built and published) and Degraded (some entries skipped).")
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

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }
}
