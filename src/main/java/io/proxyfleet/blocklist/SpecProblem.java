package io.proxyfleet.blocklist;

/** Something wrong with a Blocklist spec, naming the field and the fix. */
public record SpecProblem(String field, String message) {
  @Override
  public String toString() {
    return field + ": " + message;
  }
}
