package io.proxyfleet.blocklist;

import io.proxyfleet.block.format.BlocklistFormat;
import io.proxyfleet.block.format.ParseLimits;
import java.net.URI;
import java.nio.charset.Charset;
import java.time.Duration;
import java.util.Optional;

/**
 * One fetch of a URL source.
 *
 * @param source the source's display name, used in messages
 * @param field the source's path in the spec, e.g. {@code spec.sources[0]}, used in messages
 * @param authorization value of the Authorization header; never logged or put in a message
 * @param etag validator of the version held, or null
 * @param lastModified validator of the version held, or null
 * @param haveGoodVersion whether a version is held, so a 304 can keep it
 * @param charset null for the format's default
 */
public record FetchRequest(
    String source,
    String field,
    URI uri,
    Optional<String> authorization,
    String etag,
    String lastModified,
    boolean haveGoodVersion,
    Duration timeout,
    long maxBytes,
    BlocklistFormat format,
    Charset charset,
    ParseLimits limits) {

  /** A request within the default parse limits. */
  public FetchRequest(
      String source,
      String field,
      URI uri,
      Optional<String> authorization,
      String etag,
      String lastModified,
      boolean haveGoodVersion,
      Duration timeout,
      long maxBytes,
      BlocklistFormat format,
      Charset charset) {
    this(
        source,
        field,
        uri,
        authorization,
        etag,
        lastModified,
        haveGoodVersion,
        timeout,
        maxBytes,
        format,
        charset,
        ParseLimits.DEFAULT);
  }

  @Override
  public String toString() {
    // The authorization value must never reach a log line through toString.
    return "FetchRequest[" + source + " " + field + "]";
  }
}
