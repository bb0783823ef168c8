package io.proxyfleet.block.format;

/** A parse stopped at a {@link ParseLimits} limit: the source is too large, not damaged. */
public class ParseLimitException extends BlocklistParseException {

  private final long bytesRead;

  public ParseLimitException(String message, long bytesRead) {
    super(message);
    this.bytesRead = bytesRead;
  }

  /** Bytes of (decompressed) content read when the parse stopped. */
  public long bytesRead() {
    return bytesRead;
  }
}
