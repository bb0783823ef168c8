package io.proxyfleet.blocklist;

import io.proxyfleet.block.ParsedBlocklist;

/** What one fetch of a URL source produced. */
public sealed interface FetchResult {

  /** 304: the version held is current. */
  record NotModified() implements FetchResult {}

  /** 200 and a body that parsed; {@code bytes} counted on the wire. */
  record Fetched(ParsedBlocklist parsed, String etag, String lastModified, long bytes)
      implements FetchResult {}

  /** Nothing usable; the version held stays in force. */
  record Failed(SourceFailure failure) implements FetchResult {}
}
