package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** Where and what one proxy is. Written once by its fleet. */
@ValidationRule(
    value = "self == oldSelf",
    message = "Proxy spec is immutable; delete the Proxy and let its fleet create another")
public class ProxySpec extends TolerantSpec {
  @Required
  @JsonPropertyDescription("Name of the owning ProxyFleet.")
  private String fleet;

  @Required
  @JsonPropertyDescription("CloudProfile the proxy runs in.")
  private String cloudProfile;

  @JsonPropertyDescription("Provider type of that profile (aws, gcp, local), for display.")
  private String provider;

  @Required
  @JsonPropertyDescription("Region the proxy runs in.")
  private String region;

  @JsonPropertyDescription("Zone of the chosen subnet.")
  private String zone;

  @Required
  @JsonPropertyDescription("Subnet id the VM is launched into.")
  private String subnet;

  @Required
  @io.fabric8.generator.annotation.Pattern(Protocol.PATTERN)
  @JsonPropertyDescription("Proxy protocol: socks5, http, mtproto or shadowsocks.")
  private String protocol;

  @Required
  @Min(1)
  @Max(65535)
  @JsonPropertyDescription("Port the proxy listens on.")
  private Integer port;

  @Required
  @JsonPropertyDescription("Secret with the username and password the proxy demands.")
  private String credentialsSecret;

  @JsonPropertyDescription(
      "mtproto only: the FakeTLS domain the proxy was launched with (its secret names it).")
  private String fakeTlsDomain;

  public String getFleet() {
    return fleet;
  }

  public void setFleet(String fleet) {
    this.fleet = fleet;
  }

  public String getCloudProfile() {
    return cloudProfile;
  }

  public void setCloudProfile(String cloudProfile) {
    this.cloudProfile = cloudProfile;
  }

  public String getProvider() {
    return provider;
  }

  public void setProvider(String provider) {
    this.provider = provider;
  }

  public String getRegion() {
    return region;
  }

  public void setRegion(String region) {
    this.region = region;
  }

  public String getZone() {
    return zone;
  }

  public void setZone(String zone) {
    this.zone = zone;
  }

  public String getSubnet() {
    return subnet;
  }

  public void setSubnet(String subnet) {
    this.subnet = subnet;
  }

  public String getProtocol() {
    return protocol;
  }

  public void setProtocol(String protocol) {
    this.protocol = protocol;
  }

  public Integer getPort() {
    return port;
  }

  public void setPort(Integer port) {
    this.port = port;
  }

  public String getCredentialsSecret() {
    return credentialsSecret;
  }

  public void setCredentialsSecret(String credentialsSecret) {
    this.credentialsSecret = credentialsSecret;
  }

  public String getFakeTlsDomain() {
    return fakeTlsDomain;
  }

  public void setFakeTlsDomain(String fakeTlsDomain) {
    this.fakeTlsDomain = fakeTlsDomain;
  }
}
