package io.proxyfleet.block;

import java.util.ArrayList;
import java.util.List;

/**
 * A blocklist's entries turned into an index, with what could not be read. Malformed entries are
 * counted and skipped, never fatal.
 *
 * @param index the merged ranges; it also knows how many (distinct, IPv6) values it was built from
 * @param entries values that parsed
 * @param parseErrors values or rows skipped because they did not parse; always the complete count
 * @param firstErrors the first {@link #MAX_REPORTED_ERRORS} errors, each naming its line or index
 * @param rows how the source's rows looked (lines, data rows, format quirks)
 */
public record ParsedBlocklist(
    BlockIndex index, int entries, int parseErrors, List<String> firstErrors, RowCounts rows) {

  /** How many error messages are kept for status; the count is always complete. */
  public static final int MAX_REPORTED_ERRORS = 5;

  public ParsedBlocklist {
    firstErrors = List.copyOf(firstErrors);
  }

  /** For callers that know only the original four facts: one row per entry or error. */
  public ParsedBlocklist(BlockIndex index, int entries, int parseErrors, List<String> firstErrors) {
    this(index, entries, parseErrors, firstErrors, RowCounts.simple(entries + parseErrors));
  }

  /** Distinct values read, see {@link BlockIndex#distinctValues()}. */
  public int distinctValues() {
    return index.distinctValues();
  }

  /** IPv6 values read, duplicates included. */
  public int ipv6Values() {
    return index.ipv6Values();
  }

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
    return new ParsedBlocklist(builder.build(), ok, errors, messages);
  }
}
