package io.proxyfleet.block.format;

import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.block.ParsedBlocklist;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads a blocklist source in one of the {@link BlocklistFormat}s into a {@link ParsedBlocklist}.
 * Gzip is detected by its magic bytes. Malformed lines are counted and skipped with their line
 * numbers; content that is not a list at all raises {@link BlocklistParseException}.
 */
public final class BlocklistParser {

  private BlocklistParser() {}

  /**
   * @param charset null for the format's default
   * @throws IOException the stream failed (including a truncated gzip)
   * @throws BlocklistParseException the content is not a list in this format
   */
  public static ParsedBlocklist parse(InputStream in, BlocklistFormat format, Charset charset)
      throws IOException, BlocklistParseException {
    BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
    buffered.mark(2);
    int b0 = buffered.read();
    int b1 = buffered.read();
    buffered.reset();
    InputStream body = b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(buffered, 1 << 16) : buffered;
    Charset cs = charset == null ? format.defaultCharset() : charset;
    BufferedReader reader = new BufferedReader(new InputStreamReader(body, cs), 1 << 16);
    BlockIndex.Builder builder = BlockIndex.builder();
    int ok = 0;
    int errors = 0;
    List<String> messages = new ArrayList<>();
    int lineNumber = 0;
    boolean sawContent = false;
    String line;
    while ((line = reader.readLine()) != null) {
      lineNumber++;
      String trimmed = line.strip();
      if (trimmed.isEmpty()) {
        continue;
      }
      if (!sawContent) {
        sawContent = true;
        if (trimmed.startsWith("<")) {
          throw new BlocklistParseException(
              "line " + lineNumber + " starts with '<': this looks like an HTML page, not a " + format.wireName() + " list");
        }
        if (format == BlocklistFormat.ZAPRET_CSV && trimmed.startsWith("Updated:")) {
          continue;
        }
      }
      List<String> values = format == BlocklistFormat.IP_LIST ? ipListValues(trimmed) : zapretValues(trimmed);
      for (String value : values) {
        try {
          builder.add(IpAddresses.parseRange(value));
          ok++;
        } catch (IllegalArgumentException e) {
          errors++;
          if (messages.size() < ParsedBlocklist.MAX_REPORTED_ERRORS) {
            messages.add("line " + lineNumber + ": " + e.getMessage());
          }
        }
      }
    }
    return new ParsedBlocklist(builder.build(), ok, errors, List.copyOf(messages));
  }

  private static List<String> ipListValues(String line) {
    int hash = line.indexOf('#');
    String value = (hash < 0 ? line : line.substring(0, hash)).strip();
    return value.isEmpty() ? List.of() : List.of(value);
  }

  private static List<String> zapretValues(String line) {
    int semi = line.indexOf(';');
    String ips = semi < 0 ? line : line.substring(0, semi);
    List<String> values = new ArrayList<>();
    for (String v : ips.split("\\|")) {
      String s = v.strip();
      if (!s.isEmpty()) {
        values.add(s);
      }
    }
    return values;
  }
}
