package io.proxyfleet.blocklist;

import io.proxyfleet.block.ParsedBlocklist;
import java.time.Instant;

/**
 * What the operator remembers about one source between reconciles: its last good version, the
 * validators to send back, times, and the current failure. In memory only; after a restart the
 * sources are read again, and status supplies the hashes and times that must not jump.
 */
final class SourceState {
  ParsedBlocklist good;
  String goodHash;
  String etag;
  String lastModified;
  Instant lastFetch;
  Instant lastSuccess;
  Instant lastChange;
  Instant nextFetch;
  SourceFailure failure;
  int consecutiveFailures;

  /** ConfigMap sources: digest of the bytes last read, so an unrelated edit does not re-parse. */
  String readFingerprint;

  void succeeded(Instant now) {
    lastSuccess = now;
    failure = null;
    consecutiveFailures = 0;
  }

  void failed(SourceFailure f) {
    failure = f;
    consecutiveFailures++;
  }

  void accept(ParsedBlocklist parsed, Instant now) {
    String hash = IndexHash.of(parsed.index());
    if (!hash.equals(goodHash) || lastChange == null) {
      lastChange = now;
    }
    good = parsed;
    goodHash = hash;
    succeeded(now);
  }
}
