package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/** A GCE image family: the newest non-deprecated image of the family is used at each launch. */
public class GcpImageSpec {

  @Default("debian-12")
  @Pattern(GcpProviderSpec.NAME_PATTERN)
  @JsonPropertyDescription("Image family, e.g. debian-12. Default: debian-12.")
  private String family = "debian-12";

  @Default("debian-cloud")
  @Pattern("^[a-z][-a-z0-9.:]{4,61}[a-z0-9]$")
  @JsonPropertyDescription(
      "Project publishing the family, e.g. debian-cloud. Default: debian-cloud.")
  private String project = "debian-cloud";

  public String getFamily() {
    return family;
  }

  public void setFamily(String family) {
    this.family = family;
  }

  public String getProject() {
    return project;
  }

  public void setProject(String project) {
    this.project = project;
  }
}
