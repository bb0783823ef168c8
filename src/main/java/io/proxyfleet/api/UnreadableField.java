package io.proxyfleet.api;

/**
 * A spec field whose value could not be read into its Java type (a string where a number belongs, a
 * number beyond the range of an int, a scalar where a list belongs). The object is kept and marked
 * instead of failing the informer that reads every object of its kind.
 *
 * @param path the field as users write it, e.g. {@code spec.rotation.maxSurge}
 * @param message what is wrong with the value, quoting it shortened
 */
public record UnreadableField(String path, String message) {
  @Override
  public String toString() {
    return path + ": " + message;
  }
}
