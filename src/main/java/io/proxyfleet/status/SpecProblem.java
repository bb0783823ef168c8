package io.proxyfleet.status;

/**
 * Something wrong with a resource's spec or its placement, naming the field and the fix, and the
 * condition reason it is reported under.
 */
public record SpecProblem(String field, Reason reason, String message) {

  /** A problem of the spec itself (reason {@link Reason#InvalidSpec}). */
  public SpecProblem(String field, String message) {
    this(field, Reason.InvalidSpec, message);
  }

  @Override
  public String toString() {
    return field + ": " + message;
  }
}
