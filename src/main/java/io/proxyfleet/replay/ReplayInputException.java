package io.proxyfleet.replay;

/**
 * A replay input (fleet file, range files, timeline) is unusable; the message names what and where.
 */
public class ReplayInputException extends Exception {
  public ReplayInputException(String message) {
    super(message);
  }
}
