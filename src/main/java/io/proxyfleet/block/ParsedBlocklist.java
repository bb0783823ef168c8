package io.proxyfleet.block;

import java.util.ArrayList;
import java.util.List;

/**
 * A blocklist's entries turned into an index, with what could not be read. Malformed entries are
 * counted and skipped, never fatal.
 */
public record ParsedBlocklist(BlockIndex index, int entries, int parseErrors, List<String> firstErrors) {

  /** How many error messages are kept for status; the count is always complete. */
  public static final int MAX_REPORTED_ERRORS = 5;

  /** Parses inline entries; {@code field} names them in errors, e.g. {@code spec.cidrs}. */
  public static ParsedBlocklist parse(List<String> values, String field) {
    BlockIndex.Builder builder = BlockIndex.builder();
    int ok = 0;
    int errors = 0;
    List<String> messages = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      String value = values.get(i);
      try {
        builder.add(IpAddresses.parseRange(value == null ? "" : value));
        ok++;
      } catch (IllegalArgumentException e) {
        errors++;
        if (messages.size() < MAX_REPORTED_ERRORS) {
          messages.add(field + "[" + i + "]: " + e.getMessage());
        }
      }
    }
    return new ParsedBlocklist(builder.build(), ok, errors, List.copyOf(messages));
  }
}
