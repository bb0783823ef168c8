package io.proxyfleet.cloud;

import java.util.Locale;

/**
 * Told about every operation a {@link CloudProvider} carries out, with bounded labels only: the
 * provider type, the operation and its outcome ({@link #SUCCESS}, a {@link CloudException.Reason}
 * in lower case, or {@link #ERROR} for anything unclassified). Never a region, instance or address.
 */
@FunctionalInterface
public interface CloudCallObserver {

  String SUCCESS = "success";
  String ERROR = "error";

  /** Observes nothing: for tools and tests that do not export metrics. */
  CloudCallObserver NONE = (provider, operation, outcome) -> {};

  void called(String provider, String operation, String outcome);

  /** The outcome label of a failed operation. */
  static String outcome(RuntimeException e) {
    return e instanceof CloudException c ? c.reason().name().toLowerCase(Locale.ROOT) : ERROR;
  }
}
