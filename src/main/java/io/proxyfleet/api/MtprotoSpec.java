package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** MTProto settings of a fleet: the FakeTLS domain and how widely one secret is shared. */
public class MtprotoSpec {

  /** Secret scope values. Strings, not an enum: an unknown value must reach the validator. */
  public static final String SCOPE_FLEET = "fleet";

  public static final String SCOPE_PROXY = "proxy";
  public static final String SCOPE_PATTERN = "^(fleet|proxy)$";

  /**
   * A DNS hostname with at least two labels whose last label starts with a letter, so an IP address
   * is refused: the client sends it as TLS SNI, where only hostnames are allowed. Lowercase because
   * the hex in the link must equal what the daemon compares byte for byte.
   */
  public static final String DOMAIN_PATTERN =
      "^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$";

  /** Longest hostname DNS allows. */
  public static final int MAX_DOMAIN = 253;

  @Required
  @Size(max = MAX_DOMAIN)
  @Pattern(DOMAIN_PATTERN)
  @JsonPropertyDescription(
      "Hostname the proxy imitates with FakeTLS (the 'ee' secret): clients send it as TLS SNI and the"
          + " proxy forwards non-Telegram connections to it, so pick a real, popular HTTPS site reachable"
          + " from the proxy that a censor will not block. Lowercase; an IP address is not allowed."
          + " Changing it applies to proxies launched afterwards.")
  private String fakeTlsDomain;

  @Default("fleet")
  @Pattern(SCOPE_PATTERN)
  @JsonPropertyDescription(
      "fleet: one MTProto secret for all proxies (key 'mtprotoSecret' of the credentials Secret)."
          + " proxy: one secret per proxy (keys 'mtprotoSecret.<proxy>'), so a leaked link exposes one"
          + " proxy only; needs the generated credentials Secret (no spec.credentialsSecret).")
  private String secretScope = SCOPE_FLEET;

  public String getFakeTlsDomain() {
    return fakeTlsDomain;
  }

  public void setFakeTlsDomain(String fakeTlsDomain) {
    this.fakeTlsDomain = fakeTlsDomain;
  }

  public String getSecretScope() {
    return secretScope;
  }

  public void setSecretScope(String secretScope) {
    this.secretScope = secretScope;
  }
}
