package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * One key of a namespaced ConfigMap or Secret. The namespace is explicit because a Blocklist is
 * cluster-scoped and has no namespace of its own to default to.
 */
public class ObjectKeyRef {
  public static final String NAME_PATTERN = "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$";
  public static final String KEY_PATTERN = "^[-._a-zA-Z0-9]+$";

  @Required
  @Pattern(NAME_PATTERN)
  @JsonPropertyDescription("Namespace of the object.")
  private String namespace;

  @Required
  @Pattern(NAME_PATTERN)
  @JsonPropertyDescription("Name of the object.")
  private String name;

  @Required
  @Pattern(KEY_PATTERN)
  @JsonPropertyDescription("Key in the object's data (or binaryData).")
  private String key;

  public ObjectKeyRef() {}

  public ObjectKeyRef(String namespace, String name, String key) {
    this.namespace = namespace;
    this.name = name;
    this.key = key;
  }

  public String getNamespace() {
    return namespace;
  }

  public void setNamespace(String namespace) {
    this.namespace = namespace;
  }

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

  @Override
  public String toString() {
    return namespace + "/" + name + "[" + key + "]";
  }
}
