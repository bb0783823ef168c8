package io.proxyfleet.blocklist;

import io.proxyfleet.block.ParsedBlocklist;
import java.util.Optional;

/**
 * Rejects a parsed source in which at least half the values failed: that is a wrong format or
 * encoding (a UTF-16 file read as UTF-8, a CSV declared as ip-list), not a few typos, and
 * publishing it would replace the last good version with a fraction of it.
 */
final class ParseSanity {

  private ParseSanity() {}

  static Optional<String> problem(ParsedBlocklist parsed) {
    if (parsed.parseErrors() == 0 || parsed.parseErrors() < parsed.entries()) {
      return Optional.empty();
    }
    // No example values: a URL may serve someone else's file (a config with a password), and this
    // message goes to status and events that whoever can read the Blocklist sees.
    return Optional.of(
        parsed.parseErrors()
            + " of "
            + (parsed.entries() + parsed.parseErrors())
            + " values did not parse; this looks like the wrong format or encoding");
  }
}
