package io.proxyfleet.replay;

import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.block.IpRange;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * When which ranges were blocked, read from a CSV with a header: a CIDR column ({@code cidr}) and a
 * time column ({@code reported_at_utc}, as in the compiled 2018 Telegram list, or {@code time}).
 * Times are ISO instants, offset date-times, local date-times (taken as UTC) or bare dates
 * (midnight UTC: the earliest moment a day-precision report can mean). Rows without a readable time
 * or CIDR are counted and skipped, never fatal.
 *
 * @param events in time order; a range reported several times appears once per report
 * @param skippedRows rows that were skipped
 * @param firstErrors the first few skipped rows, each with its line number
 */
public record BlockTimeline(
    List<Event> events, int rows, int skippedRows, List<String> firstErrors) {

  private static final int MAX_REPORTED_ERRORS = 5;
  private static final List<String> TIME_COLUMNS =
      List.of("reported_at_utc", "time", "timestamp", "at");

  public BlockTimeline {
    events = events.stream().sorted(Comparator.comparing(Event::at)).toList();
    firstErrors = List.copyOf(firstErrors);
  }

  /** One report of one range blocked at a time. */
  public record Event(Instant at, String cidr, IpRange range, int line) {}

  /** Every range reported, whenever: the list as a plain blocklist. */
  public BlockIndex index() {
    BlockIndex.Builder b = BlockIndex.builder();
    events.forEach(e -> b.add(e.range()));
    return b.build();
  }

  /** The ranges blocked at {@code t} (reported at or before it). */
  public BlockIndex indexAt(Instant t) {
    BlockIndex.Builder b = BlockIndex.builder();
    events.stream().filter(e -> !e.at().isAfter(t)).forEach(e -> b.add(e.range()));
    return b.build();
  }

  /** The events grouped by time: each step is what became blocked at one instant. */
  public TreeMap<Instant, List<Event>> steps() {
    TreeMap<Instant, List<Event>> out = new TreeMap<>();
    events.forEach(e -> out.computeIfAbsent(e.at(), k -> new ArrayList<>()).add(e));
    return out;
  }

  /**
   * Reads a timeline CSV (UTF-8).
   *
   * @throws TimelineFormatException the header lacks a CIDR or a time column
   */
  public static BlockTimeline read(InputStream in) throws IOException, TimelineFormatException {
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    String header = reader.readLine();
    if (header == null) {
      throw new TimelineFormatException("empty file; expected a header such as 'time,cidr'");
    }
    List<String> columns =
        splitCsv(header.replace("\uFEFF", "")).stream()
            .map(c -> c.strip().toLowerCase(Locale.ROOT))
            .toList();
    int cidrColumn = columns.indexOf("cidr");
    int timeColumn = -1;
    for (String name : TIME_COLUMNS) {
      if (timeColumn < 0) timeColumn = columns.indexOf(name);
    }
    if (cidrColumn < 0 || timeColumn < 0) {
      throw new TimelineFormatException(
          "line 1: header "
              + columns
              + " needs a 'cidr' column and a time column (one of "
              + TIME_COLUMNS
              + "); e.g. 'time,cidr' then '2018-04-16T10:00:00Z,52.58.0.0/15'");
    }
    List<Event> events = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    int rows = 0;
    int skipped = 0;
    int lineNumber = 1;
    String line;
    while ((line = reader.readLine()) != null) {
      lineNumber++;
      if (line.isBlank()) {
        continue;
      }
      rows++;
      List<String> fields = splitCsv(line);
      String problem;
      if (fields.size() <= Math.max(cidrColumn, timeColumn)) {
        problem = "has " + fields.size() + " fields, fewer than the header";
      } else {
        String cidr = fields.get(cidrColumn).strip();
        String time = fields.get(timeColumn).strip();
        try {
          IpRange range = IpAddresses.parseRange(cidr);
          events.add(new Event(parseTime(time), cidr, range, lineNumber));
          continue;
        } catch (IllegalArgumentException | DateTimeParseException e) {
          problem =
              e instanceof DateTimeParseException
                  ? "time '" + time + "' is not an ISO date or date-time"
                  : e.getMessage();
        }
      }
      skipped++;
      if (errors.size() < MAX_REPORTED_ERRORS) {
        errors.add("line " + lineNumber + ": " + problem);
      }
    }
    return new BlockTimeline(events, rows, skipped, errors);
  }

  /**
   * Parses a timeline time: ISO instant, offset or local date-time (UTC), or a date (midnight UTC).
   */
  public static Instant parseTime(String text) {
    if (text.isEmpty()) {
      throw new DateTimeParseException("empty", text, 0);
    }
    String t = text.replace(' ', 'T');
    if (t.length() == 10) {
      return LocalDate.parse(t).atStartOfDay().toInstant(ZoneOffset.UTC);
    }
    if (t.endsWith("Z") || t.matches(".*[+-]\\d\\d:?\\d\\d$")) {
      return OffsetDateTime.parse(
              t.matches(".*[+-]\\d\\d\\d\\d$")
                  ? t.substring(0, t.length() - 2) + ":" + t.substring(t.length() - 2)
                  : t)
          .toInstant();
    }
    return LocalDateTime.parse(t).toInstant(ZoneOffset.UTC);
  }

  /** Splits one CSV line: commas, double-quoted fields with doubled quotes inside. */
  static List<String> splitCsv(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        out.add(field.toString());
        field.setLength(0);
      } else {
        field.append(c);
      }
    }
    out.add(field.toString());
    return out;
  }
}
