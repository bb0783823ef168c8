package io.proxyfleet.cloud;

/**
 * A cloud call that failed, classified so the reconcilers can act without knowing the SDK: stop on
 * {@link Reason#UNAUTHORIZED}, back off on {@link Reason#THROTTLED}, move elsewhere on {@link
 * Reason#CAPACITY_UNAVAILABLE}, and so on. Messages must never contain credentials.
 */
public class CloudException extends RuntimeException {

  /** The small set of failure classes reconcilers distinguish. */
  public enum Reason {
    /**
     * Credentials missing, wrong or lacking permission: retrying will not help until the profile
     * changes.
     */
    UNAUTHORIZED,
    /** The API asked us to slow down: back off, and never treat it as missing capacity. */
    THROTTLED,
    /** No capacity for this type in this zone right now: try another zone or region for a while. */
    CAPACITY_UNAVAILABLE,
    /** An account quota (addresses, instances) is spent. */
    QUOTA_EXCEEDED,
    /** The resource does not exist (any more). */
    NOT_FOUND,
    /** The request is wrong (bad region, subnet, image, unsupported protocol): names the field. */
    INVALID,
    /** Anything else, expected to pass with a retry (5xx, dropped connection). */
    TRANSIENT
  }

  private final Reason reason;

  public CloudException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public CloudException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
