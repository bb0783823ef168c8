package io.proxyfleet.api;

import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fleet's request for a new IP on one of its proxies, as the fleet's {@code
 * status.ipRotationRequests} holds it: why and when the fleet decided so, as {@code <reason>-<epoch
 * millis>}. Each request is unique, so the Proxy reconciler serves it once ({@code
 * status.fleetRotationHandled}). The {@link ApiGroup#ROTATE_IP_ANNOTATION} annotation (by hand, or
 * written by an older operator) takes any value; one by hand rotates too but carries no reason or
 * time.
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

  /**
   * The fleet-written request a proxy served between two of its statuses: its fleet's (status field
   * {@code fleetRotationHandled}) or one in the annotation ({@code ipRotationHandled}).
   */
  public static Optional<RotationRequest> servedBetween(ProxyStatus was, ProxyStatus now) {
    if (!java.util.Objects.equals(now.getFleetRotationHandled(), was.getFleetRotationHandled())) {
      return parse(now.getFleetRotationHandled());
    }
    if (!java.util.Objects.equals(now.getIpRotationHandled(), was.getIpRotationHandled())) {
      return parse(now.getIpRotationHandled());
    }
    return Optional.empty();
  }
}
