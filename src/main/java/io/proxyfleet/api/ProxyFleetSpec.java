package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** Desired state of a fleet. */
@ValidationRule(
    value = "self.protocol == 'mtproto' || !has(self.mtproto)",
    message = "spec.mtproto applies to mtproto fleets only")
@ValidationRule(
    value = "self.protocol != 'mtproto' || has(self.mtproto)",
    message = "mtproto fleets need spec.mtproto.fakeTlsDomain")
@ValidationRule(
    value =
        "!has(self.mtproto) || !has(self.mtproto.secretScope) || self.mtproto.secretScope != 'proxy' || !has(self.credentialsSecret)",
    message =
        "spec.mtproto.secretScope proxy needs the generated credentials Secret; remove spec.credentialsSecret or use scope fleet")
public class ProxyFleetSpec extends TolerantSpec {

  /**
   * Upper bound on replicas: protects accounts from a typo spending money on a hundred thousand
   * VMs. 5,000 since the scale targets were measured to hold for fleets that large (README,
   * Benchmarks).
   */
  public static final int MAX_REPLICAS = 5000;

  @Required
  @Min(0)
  @Max(MAX_REPLICAS)
  @JsonPropertyDescription(
      "Number of proxies to keep running (0 to 5000). The scale subresource reads and writes it (kubectl scale pf NAME --replicas=N).")
  @io.fabric8.kubernetes.model.annotation.SpecReplicas
  private Integer replicas;

  // A string, not the Protocol enum: an unknown value must reach the validator as a clear error,
  // not break deserialization of every fleet where no API server enforced the schema.
  @Default("socks5")
  @Pattern(Protocol.PATTERN)
  @JsonPropertyDescription(
      "Proxy protocol: socks5, http, mtproto or shadowsocks. Every protocol requires authentication.")
  private String protocol = "socks5";

  @Default("443")
  @Min(1)
  @Max(65535)
  @JsonPropertyDescription(
      "Port every proxy listens on (1-65535). 443 blends in with HTTPS traffic.")
  private Integer port = 443;

  @Required
  @Size(min = 1, max = 32)
  @JsonPropertyDescription(
      "Where proxies run: each entry names a CloudProfile and its regions. Replicas are spread over"
          + " entries by weight, then evenly over each entry's regions and subnets.")
  private List<Placement> placement = new ArrayList<>();

  @JsonPropertyDescription("How proxies are rotated: on block and by age.")
  private RotationPolicy rotation = new RotationPolicy();

  @Size(max = 32)
  @JsonPropertyDescription(
      "Names of cluster-scoped Blocklists whose ranges this fleet must avoid. A proxy whose IP falls"
          + " in any of them is rotated according to rotation.onBlocked.")
  private List<String> blocklists = new ArrayList<>();

  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  @JsonPropertyDescription(
      "Secret in the fleet's namespace with keys 'username' and 'password' that proxies demand from"
          + " clients. When empty, the operator generates '<fleet>-credentials'.")
  private String credentialsSecret;

  @JsonPropertyDescription(
      "MTProto settings; required when protocol is mtproto, not allowed otherwise.")
  private MtprotoSpec mtproto;

  @Default("80")
  @Min(1)
  @Max(100)
  @JsonPropertyDescription(
      "Avoid regions where the fleet's blocklists cover more than this percentage of the cloud's"
          + " published compute address space (AWS service EC2, Google Cloud scopes): their share of"
          + " replicas moves to the other regions (80: draws there are mostly wasted). 100 never avoids a region.")
  private Integer maxRegionBlockedPercent = 80;

  @Default("10m")
  @Pattern(Durations.PATTERN)
  @JsonPropertyDescription(
      "How long a proxy may take from creation to Running before it is marked Failed and replaced"
          + " (Go duration, e.g. 90s, 10m).")
  private String launchTimeout = "10m";

  @JsonPropertyDescription(
      "Health checks from the operator's own vantage: a proxy is published only after one passes.")
  private HealthSpec health = new HealthSpec();

  @JsonPropertyDescription("How results of Vantages inside the censored network turn into blocks.")
  private ProbesSpec probes = new ProbesSpec();

  public HealthSpec getHealth() {
    return health;
  }

  public void setHealth(HealthSpec health) {
    this.health = health;
  }

  public ProbesSpec getProbes() {
    return probes;
  }

  public void setProbes(ProbesSpec probes) {
    this.probes = probes;
  }

  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
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

  public List<Placement> getPlacement() {
    return placement;
  }

  public void setPlacement(List<Placement> placement) {
    this.placement = placement;
  }

  public RotationPolicy getRotation() {
    return rotation;
  }

  public void setRotation(RotationPolicy rotation) {
    this.rotation = rotation;
  }

  public List<String> getBlocklists() {
    return blocklists;
  }

  public void setBlocklists(List<String> blocklists) {
    this.blocklists = blocklists;
  }

  public String getCredentialsSecret() {
    return credentialsSecret;
  }

  public void setCredentialsSecret(String credentialsSecret) {
    this.credentialsSecret = credentialsSecret;
  }

  public String getLaunchTimeout() {
    return launchTimeout;
  }

  public void setLaunchTimeout(String launchTimeout) {
    this.launchTimeout = launchTimeout;
  }

  public Integer getMaxRegionBlockedPercent() {
    return maxRegionBlockedPercent;
  }

  public void setMaxRegionBlockedPercent(Integer maxRegionBlockedPercent) {
    this.maxRegionBlockedPercent = maxRegionBlockedPercent;
  }

  public MtprotoSpec getMtproto() {
    return mtproto;
  }

  public void setMtproto(MtprotoSpec mtproto) {
    this.mtproto = mtproto;
  }
}
