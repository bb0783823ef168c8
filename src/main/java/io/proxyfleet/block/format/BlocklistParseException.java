package io.proxyfleet.block.format;

/**
 * The content as a whole is not a list in the expected format (an HTML error page, a wrong
 * encoding, binary data): the caller keeps the last good version. Single bad lines never raise this;
 * they are counted and skipped.
 */
public class BlocklistParseException extends Exception {
  public BlocklistParseException(String message) {
    super(message);
  }
}
