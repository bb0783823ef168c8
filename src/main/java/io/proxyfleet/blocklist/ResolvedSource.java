package io.proxyfleet.blocklist;

import io.proxyfleet.api.ObjectKeyRef;
import io.proxyfleet.block.format.BlocklistFormat;
import io.proxyfleet.block.format.ParseLimits;
import java.net.URI;
import java.nio.charset.Charset;
import java.time.Duration;

/**
 * A validated source with its defaults applied.
 *
 * @param name display name (explicit, or derived from the URL or ConfigMap)
 * @param field its path in the spec, e.g. {@code spec.sources[1]}
 * @param identity what makes two sources the same: location, format, encoding and auth Secret.
 *     State (validators, last good version) is kept per identity, so reordering sources keeps it
 *     and changing the format re-reads.
 * @param url null for a ConfigMap source
 * @param configMap null for a URL source
 * @param charset null for the format's default
 * @param limits content bytes and entries this source may parse
 */
public record ResolvedSource(
    String name,
    String field,
    String identity,
    URI url,
    ObjectKeyRef authSecret,
    ObjectKeyRef configMap,
    BlocklistFormat format,
    Charset charset,
    Duration refreshInterval,
    Duration timeout,
    long maxBytes,
    ParseLimits limits) {

  public boolean isUrl() {
    return url != null;
  }
}
