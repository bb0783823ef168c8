package io.proxyfleet.block;

/**
 * How the rows of a blocklist source looked, for statistics and for telling a format quirk from
 * damage. Value counts live in the {@link BlockIndex}; these are about rows.
 *
 * @param lines physical lines read, blank and comment lines included
 * @param rows lines holding data (not blank, not a comment, not a header)
 * @param rowsWithExtraFields zapret-csv rows with more than 6 fields because the URL contains ';'
 * @param rowsWithSeveralUrls zapret-csv rows whose URL field holds several URLs joined by " | "
 * @param rowsWithoutIps zapret-csv rows with an empty IP column (domain-only entries, not errors)
 */
public record RowCounts(
    int lines, int rows, int rowsWithExtraFields, int rowsWithSeveralUrls, int rowsWithoutIps) {

  /** Counts for a source that is one value per row with nothing format-specific to report. */
  public static RowCounts simple(int rows) {
    return new RowCounts(rows, rows, 0, 0, 0);
  }
}
