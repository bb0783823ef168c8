package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.util.LinkedHashMap;
import java.util.Map;

/** Provider and provider-specific settings. */
public class CloudProfileSpec {

  @Required
  @Pattern("^(aws|gcp|local)$")
  @JsonPropertyDescription("Cloud provider: aws, gcp or local (loopback proxies for local mode and tests).")
  private String provider;

  @JsonPropertyDescription("Settings of the local provider.")
  private LocalProviderSpec local;

  @JsonPropertyDescription("Extra tags (labels on GCP) written on every resource, beside ownership tags.")
  private Map<String, String> tags = new LinkedHashMap<>();

  public String getProvider() {
    return provider;
  }

  public void setProvider(String provider) {
    this.provider = provider;
  }

  public LocalProviderSpec getLocal() {
    return local;
  }

  public void setLocal(LocalProviderSpec local) {
    this.local = local;
  }

  public Map<String, String> getTags() {
    return tags;
  }

  public void setTags(Map<String, String> tags) {
    this.tags = tags;
  }
}
