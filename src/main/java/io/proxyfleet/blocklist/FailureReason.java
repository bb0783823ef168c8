package io.proxyfleet.blocklist;

/** Why a source could not deliver a new version; the condition reason on {@code Stale}. */
public enum FailureReason {
  /**
   * Connection refused or reset, a server error, an authorization failure, a missing auth Secret.
   */
  FETCH_FAILED("FetchFailed"),
  /** The body passed {@code maxBytes}. */
  TOO_LARGE("TooLarge"),
  /** HTTP 404/410, or the ConfigMap or its key does not exist. */
  NOT_FOUND("NotFound"),
  /**
   * The content is not a list in the declared format (HTML page, wrong encoding, truncated gzip).
   */
  PARSE_FAILED("ParseFailed"),
  /** Connecting, the headers or the body took longer than {@code timeout}. */
  TIMEOUT("Timeout"),
  /**
   * The URL (or a redirect) leads to a non-public address or uses plain http ({@link
   * SourceAccess}).
   */
  DESTINATION_REFUSED("DestinationRefused");

  private final String reason;

  FailureReason(String reason) {
    this.reason = reason;
  }

  /** The CamelCase form used in conditions, events and status. */
  public String reason() {
    return reason;
  }
}
