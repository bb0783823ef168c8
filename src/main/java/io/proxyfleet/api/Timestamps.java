package io.proxyfleet.api;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * RFC 3339 timestamps as Kubernetes objects carry them ({@code 2026-11-27T10:00:00Z}, offsets
 * allowed).
 */
public final class Timestamps {

  private Timestamps() {}

  /** The instant, or empty when the field is absent or was not written by a well-behaved client. */
  public static Optional<Instant> parse(String text) {
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(OffsetDateTime.parse(text).toInstant());
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
