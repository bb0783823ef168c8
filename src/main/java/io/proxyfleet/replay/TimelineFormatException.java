package io.proxyfleet.replay;

/**
 * A timeline file as a whole is unusable (no header, no CIDR or time column). Bad rows never raise
 * this.
 */
public class TimelineFormatException extends Exception {
  public TimelineFormatException(String message) {
    super(message);
  }
}
