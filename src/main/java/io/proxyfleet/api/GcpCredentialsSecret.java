package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * A Secret holding a Google service-account key (the JSON file {@code gcloud iam service-accounts
 * keys create} writes).
 */
public class GcpCredentialsSecret {

  @Required
  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  @JsonPropertyDescription("Name of the Secret, in the CloudProfile's namespace.")
  private String name;

  @Default("key.json")
  @Pattern("^[-._a-zA-Z0-9]+$")
  @JsonPropertyDescription("Key holding the service-account key JSON. Default: key.json.")
  private String key = "key.json";

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getKey() {
    return key;
  }

  public void setKey(String key) {
    this.key = key;
  }
}
