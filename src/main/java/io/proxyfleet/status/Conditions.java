package io.proxyfleet.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * Sets conditions the Kubernetes way: one per type, {@code lastTransitionTime} kept while the
 * status (True/False) stays the same, {@code observedGeneration} recorded.
 */
public final class Conditions {

  private final Clock clock;

  public Conditions(Clock clock) {
    this.clock = clock;
  }

  /** Sets a condition in place, keeping its transition time unless its status flips. */
  public void set(
      List<Condition> conditions,
      String type,
      boolean status,
      String reason,
      String message,
      Long generation) {
    String value = status ? "True" : "False";
    Optional<Condition> existing = find(conditions, type);
    String since =
        existing
            .filter(c -> value.equals(c.getStatus()))
            .map(Condition::getLastTransitionTime)
            .orElse(now());
    Condition next =
        new ConditionBuilder()
            .withType(type)
            .withStatus(value)
            .withReason(reason)
            .withMessage(message)
            .withLastTransitionTime(since)
            .withObservedGeneration(generation)
            .build();
    existing.ifPresentOrElse(
        c -> conditions.set(conditions.indexOf(c), next), () -> conditions.add(next));
  }

  /** Sets a condition with a typed reason. */
  public void set(
      List<Condition> conditions,
      String type,
      boolean status,
      Reason reason,
      String message,
      Long generation) {
    set(conditions, type, status, reason.name(), message, generation);
  }

  /** Whether the condition of this type carries this reason. */
  public static boolean hasReason(List<Condition> conditions, String type, Reason reason) {
    return find(conditions, type).map(c -> reason.is(c.getReason())).orElse(false);
  }

  public static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions == null
        ? Optional.empty()
        : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  /** Drops a condition that no longer applies (e.g. a feature switched off in the spec). */
  public static void remove(List<Condition> conditions, String type) {
    if (conditions != null) {
      conditions.removeIf(c -> type.equals(c.getType()));
    }
  }

  /** RFC 3339 at second precision, as the API server writes timestamps. */
  public String now() {
    return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
