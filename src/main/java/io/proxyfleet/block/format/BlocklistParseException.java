package io.proxyfleet.block.format;

/**
 * The content as a whole is not a list in the expected format (an HTML error page, a wrong
 * encoding, binary data): the caller keeps the last good version. Single bad lines never raise
 * this; they are counted and skipped.
 */
public class BlocklistParseException extends Exception {

  private final String messageWithoutContent;

  public BlocklistParseException(String message) {
    this(message, message);
  }

  /**
   * @param messageWithoutContent the same without any quoted value, for places where the content
   *     may belong to someone else (a URL source that turned out to serve a private file)
   */
  public BlocklistParseException(String message, String messageWithoutContent) {
    super(message);
    this.messageWithoutContent = messageWithoutContent;
  }

  /** The message with no byte of the input in it. */
  public String messageWithoutContent() {
    return messageWithoutContent;
  }
}
