package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** What the operator last read from one source of a blocklist. */
public class BlocklistSourceStatus {
  @JsonPropertyDescription(
      "The source's name (spec.sources[].name, or derived from its URL or ConfigMap).")
  private String name;

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

  @JsonPropertyDescription("sha256 of the ranges of this source's last good version.")
  private String hash;

  @JsonPropertyDescription("ETag of the last good response, sent back as If-None-Match.")
  private String etag;

  @JsonPropertyDescription(
      "Last-Modified of the last good response, sent back as If-Modified-Since.")
  private String lastModified;

  @JsonPropertyDescription("When the source was last fetched or read (a 304 counts).")
  private String lastFetchTime;

  @JsonPropertyDescription("When the source last delivered a usable answer (new content or 304).")
  private String lastSuccessTime;

  @JsonPropertyDescription("When this source's ranges last changed.")
  private String lastChangeTime;

  @JsonPropertyDescription(
      "When a url source is fetched next (sooner after failures, with backoff).")
  private String nextFetchTime;

  @JsonPropertyDescription(
      "Why the last attempt failed (FetchFailed, TooLarge, NotFound, ParseFailed, Timeout); empty when it succeeded.")
  private String failureReason;

  @JsonPropertyDescription(
      "What failed and how to fix it; the last good version stays in force meanwhile.")
  private String failureMessage;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
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

  public String getEtag() {
    return etag;
  }

  public void setEtag(String etag) {
    this.etag = etag;
  }

  public String getLastModified() {
    return lastModified;
  }

  public void setLastModified(String lastModified) {
    this.lastModified = lastModified;
  }

  public String getLastFetchTime() {
    return lastFetchTime;
  }

  public void setLastFetchTime(String lastFetchTime) {
    this.lastFetchTime = lastFetchTime;
  }

  public String getLastSuccessTime() {
    return lastSuccessTime;
  }

  public void setLastSuccessTime(String lastSuccessTime) {
    this.lastSuccessTime = lastSuccessTime;
  }

  public String getLastChangeTime() {
    return lastChangeTime;
  }

  public void setLastChangeTime(String lastChangeTime) {
    this.lastChangeTime = lastChangeTime;
  }

  public String getNextFetchTime() {
    return nextFetchTime;
  }

  public void setNextFetchTime(String nextFetchTime) {
    this.nextFetchTime = nextFetchTime;
  }

  public String getFailureReason() {
    return failureReason;
  }

  public void setFailureReason(String failureReason) {
    this.failureReason = failureReason;
  }

  public String getFailureMessage() {
    return failureMessage;
  }

  public void setFailureMessage(String failureMessage) {
    this.failureMessage = failureMessage;
  }
}
