package io.proxyfleet.blocklist;

import io.proxyfleet.block.ParsedBlocklist;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** In-memory state of one Blocklist: per-source state, the version in force, the held version. */
final class ListState {
  final Map<String, SourceState> sources = new HashMap<>();
  List<String> inlineCidrs;
  ParsedBlocklist inline;
  Version inForce;
  Instant inForceChanged;
  Version held;
  BlocklistGuard.Verdict heldVerdict;
  Instant heldSince;
  String refreshRequest;

  SourceState source(String identity) {
    return sources.computeIfAbsent(identity, k -> new SourceState());
  }

  /** Forgets sources no longer in the spec. */
  void retain(Set<String> identities) {
    sources.keySet().retainAll(identities);
  }
}
