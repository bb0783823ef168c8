package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** A Secret with static AWS access keys; key names are configurable. */
public class AwsCredentialsSecret {

  private static final String KEY = "^[-._a-zA-Z0-9]+$";

  @Required
  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  @JsonPropertyDescription("Name of the Secret, in the CloudProfile's namespace.")
  private String name;

  @Default("accessKeyId")
  @Pattern(KEY)
  @JsonPropertyDescription("Key holding the access key id. Default: accessKeyId.")
  private String accessKeyIdKey = "accessKeyId";

  @Default("secretAccessKey")
  @Pattern(KEY)
  @JsonPropertyDescription("Key holding the secret access key. Default: secretAccessKey.")
  private String secretAccessKeyKey = "secretAccessKey";

  @Default("sessionToken")
  @Pattern(KEY)
  @JsonPropertyDescription(
      "Key holding a session token, used when present in the Secret. Default: sessionToken.")
  private String sessionTokenKey = "sessionToken";

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getAccessKeyIdKey() {
    return accessKeyIdKey;
  }

  public void setAccessKeyIdKey(String accessKeyIdKey) {
    this.accessKeyIdKey = accessKeyIdKey;
  }

  public String getSecretAccessKeyKey() {
    return secretAccessKeyKey;
  }

  public void setSecretAccessKeyKey(String secretAccessKeyKey) {
    this.secretAccessKeyKey = secretAccessKeyKey;
  }

  public String getSessionTokenKey() {
    return sessionTokenKey;
  }

  public void setSessionTokenKey(String sessionTokenKey) {
    this.sessionTokenKey = sessionTokenKey;
  }
}
