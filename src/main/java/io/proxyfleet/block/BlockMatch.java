package io.proxyfleet.block;

/** Why an address is blocked: which blocklist, and which (merged) range of it. */
public record BlockMatch(String blocklist, String range) {
  @Override
  public String toString() {
    return blocklist + " (" + range + ")";
  }
}
