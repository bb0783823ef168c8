package io.proxyfleet.blocklist;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The HTTP conditional-GET rules for one source, apart from any network code: which validators to
 * send, and what a response status means for the version in force.
 */
public final class ConditionalGet {

  /** What a response status means. */
  public enum Outcome {
    /** 200: a new body to parse. */
    NEW_CONTENT,
    /** 304: the version in force is current; only the fetch time changes. */
    NOT_MODIFIED,
    /** 301/302/303/307/308: follow the Location header. */
    REDIRECT,
    /** Anything else: keep the version in force and report. */
    FAILED
  }

  private ConditionalGet() {}

  /**
   * Request headers for a refetch. Validators are sent only when a good version is held: a 304 is
   * only useful if there is something to keep.
   */
  public static Map<String, String> requestHeaders(
      String etag, String lastModified, boolean haveGoodVersion) {
    Map<String, String> headers = new LinkedHashMap<>();
    if (!haveGoodVersion) {
      return headers;
    }
    if (etag != null && !etag.isBlank()) {
      headers.put("If-None-Match", etag);
    }
    if (lastModified != null && !lastModified.isBlank()) {
      headers.put("If-Modified-Since", lastModified);
    }
    return headers;
  }

  public static Outcome outcome(int status, boolean sentValidators) {
    return switch (status) {
      case 200 -> Outcome.NEW_CONTENT;
      // A 304 to an unconditional request is a broken server: there is nothing to keep.
      case 304 -> sentValidators ? Outcome.NOT_MODIFIED : Outcome.FAILED;
      case 301, 302, 303, 307, 308 -> Outcome.REDIRECT;
      default -> Outcome.FAILED;
    };
  }

  /**
   * The failure for a status that is neither content, 304 nor a redirect; {@code source} names it.
   */
  public static SourceFailure failure(int status, String source, String field) {
    if (status == 404 || status == 410) {
      return new SourceFailure(
          FailureReason.NOT_FOUND,
          "source "
              + source
              + ": HTTP "
              + status
              + " (not found); fix "
              + field
              + ".url or remove the source");
    }
    if (status == 401 || status == 403) {
      return new SourceFailure(
          FailureReason.FETCH_FAILED,
          "source "
              + source
              + ": HTTP "
              + status
              + " (not authorized); check the Secret named in "
              + field
              + ".authSecret");
    }
    if (status == 304) {
      return new SourceFailure(
          FailureReason.FETCH_FAILED,
          "source "
              + source
              + ": HTTP 304 to a request without validators; the server is misbehaving");
    }
    if (status == 408 || status == 504) {
      return new SourceFailure(
          FailureReason.TIMEOUT,
          "source " + source + ": HTTP " + status + " (timed out upstream); retrying with backoff");
    }
    if (status >= 500) {
      return new SourceFailure(
          FailureReason.FETCH_FAILED,
          "source " + source + ": HTTP " + status + " (server error); retrying with backoff");
    }
    return new SourceFailure(
        FailureReason.FETCH_FAILED,
        "source " + source + ": unexpected HTTP " + status + "; check " + field + ".url");
  }

  /** The validator to store from a response header, ignoring blanks. */
  public static Optional<String> validator(Optional<String> header) {
    return header.map(String::strip).filter(v -> !v.isEmpty());
  }
}
