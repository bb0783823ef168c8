package io.proxyfleet.api;

import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The value of the {@link ApiGroup#ROTATE_IP_ANNOTATION} annotation the fleet writes on a Proxy:
 * why it wants a new IP and when it decided so, as {@code <reason>-<epoch millis>}. Each request is
 * unique, so the Proxy reconciler handles it once ({@code status.ipRotationHandled}). People may
 * annotate by hand with any value; such a request rotates too but carries no reason or time.
 */
public record RotationRequest(String reason, Instant requestedAt) {

  private static final Pattern FORMAT = Pattern.compile("([A-Za-z]+)-(\\d{1,18})");

  public RotationRequest {
    if (!reason.chars().allMatch(Character::isLetter)) {
      throw new IllegalArgumentException("reason must be letters only: " + reason);
    }
  }

  /** The annotation value. */
  public String value() {
    return reason + "-" + requestedAt.toEpochMilli();
  }

  /** The request an annotation value names, if the fleet wrote it. */
  public static Optional<RotationRequest> parse(String value) {
    if (value == null) {
      return Optional.empty();
    }
    Matcher m = FORMAT.matcher(value);
    return m.matches()
        ? Optional.of(
            new RotationRequest(m.group(1), Instant.ofEpochMilli(Long.parseLong(m.group(2)))))
        : Optional.empty();
  }
}
