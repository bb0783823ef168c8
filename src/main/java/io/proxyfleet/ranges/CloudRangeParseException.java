package io.proxyfleet.ranges;

/**
 * The content as a whole is not a range file of the expected publisher (an HTML error page, a
 * truncated download, the other cloud's file): the caller keeps its last good ranges. Single bad
 * records never raise this; they are counted.
 */
public class CloudRangeParseException extends Exception {
  public CloudRangeParseException(String message) {
    super(message);
  }

  public CloudRangeParseException(String message, Throwable cause) {
    super(message, cause);
  }
}
