package io.proxyfleet.cloud;

/**
 * What a proxy demands from its clients: username and password, and for MTProto the FakeTLS secret
 * ({@code fakeTls} is null for the other protocols). Never printed.
 */
public record ProxyCredentials(String username, String password, FakeTlsSecret fakeTls) {

  public ProxyCredentials(String username, String password) {
    this(username, password, null);
  }

  /** The same credentials with this proxy's MTProto secret. */
  public ProxyCredentials withFakeTls(FakeTlsSecret secret) {
    return new ProxyCredentials(username, password, secret);
  }

  @Override
  public String toString() {
    return "ProxyCredentials[username="
        + username
        + ", password=<redacted>"
        + (fakeTls == null ? "" : ", " + fakeTls)
        + "]";
  }
}
