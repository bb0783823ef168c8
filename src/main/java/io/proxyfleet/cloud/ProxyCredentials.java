package io.proxyfleet.cloud;

/** Username and password a proxy demands from its clients. Never printed. */
public record ProxyCredentials(String username, String password) {
  @Override
  public String toString() {
    return "ProxyCredentials[username=" + username + ", password=<redacted>]";
  }
}
