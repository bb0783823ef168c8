package io.proxyfleet.fleet;

/** Something wrong with a fleet, naming the field and the fix. */
public record Problem(String field, String message) {
  @Override
  public String toString() {
    return field + ": " + message;
  }
}
