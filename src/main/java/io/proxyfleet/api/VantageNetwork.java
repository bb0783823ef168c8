package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** The network a vantage stands for: what its users' traffic crosses. */
public class VantageNetwork {

  @Required
  @Pattern("^[A-Z]{2}$")
  @JsonPropertyDescription("ISO 3166-1 alpha-2 country code, e.g. RU.")
  private String country;

  @Min(1)
  @Max(4294967295L)
  @JsonPropertyDescription("Autonomous system number of the vantage's uplink, e.g. 12389.")
  private Long asn;

  @io.fabric8.generator.annotation.Size(max = 200)
  @JsonPropertyDescription("Free text for people: provider, city.")
  private String description;

  public String getCountry() {
    return country;
  }

  public void setCountry(String country) {
    this.country = country;
  }

  public Long getAsn() {
    return asn;
  }

  public void setAsn(Long asn) {
    this.asn = asn;
  }

  public String getDescription() {
    return description;
  }

  public void setDescription(String description) {
    this.description = description;
  }
}
