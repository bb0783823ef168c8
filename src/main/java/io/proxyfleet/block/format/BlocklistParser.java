package io.proxyfleet.block.format;

import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.block.ParsedBlocklist;
import io.proxyfleet.block.RowCounts;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads a blocklist source in one of the {@link BlocklistFormat}s into a {@link ParsedBlocklist}.
 *
 * <p>Gzip is detected by its magic bytes. Malformed values and rows are counted and skipped with
 * their line numbers. Content that is not a list at all raises {@link BlocklistParseException}, so
 * the caller keeps the last good version instead of publishing an empty or wrong index:
 *
 * <ul>
 *   <li>the first non-blank line starts with {@code <} (an HTML error page served instead of the
 *       list; neither format can start with it);
 *   <li>a NUL byte, or a UTF-16/UTF-32 byte order mark, while reading an ASCII-compatible encoding
 *       (binary junk, or UTF-16 text read as UTF-8/cp1251);
 *   <li>more errors than valid values (this includes no valid value at all with at least one
 *       error): most of the content is garbage, so it is the wrong format, the wrong encoding or a
 *       damaged file, and publishing the few values that happen to parse would be worse than
 *       keeping the last good list.
 * </ul>
 *
 * A truncated or corrupt gzip stream raises an {@link IOException} saying so.
 *
 * <p>Lines are parsed as bytes in place and values go to the index builder as primitives: no
 * String, regex or object per line or value (the registry dump has hundreds of thousands).
 */
public final class BlocklistParser {

  private static final String ZAPRET_COLUMNS = "ips;domain;url;org;decision_number;decision_date";

  private BlocklistParser() {}

  /**
   * @param charset null for the format's default
   * @throws IOException the stream failed (including a truncated gzip)
   * @throws BlocklistParseException the content is not a list in this format
   */
  public static ParsedBlocklist parse(InputStream in, BlocklistFormat format, Charset charset)
      throws IOException, BlocklistParseException {
    return parse(in, format, charset, null);
  }

  /**
   * Like {@link #parse(InputStream, BlocklistFormat, Charset)}, also adding every valid value to
   * {@code combined} (when not null) so several sources can be counted and merged as one. When this
   * throws, {@code combined} may hold part of the rejected source.
   */
  public static ParsedBlocklist parse(
      InputStream in, BlocklistFormat format, Charset charset, BlockIndex.Builder combined)
      throws IOException, BlocklistParseException {
    return parse(in, format, charset, combined, ParseLimits.DEFAULT);
  }

  /**
   * Like {@link #parse(InputStream, BlocklistFormat, Charset, BlockIndex.Builder)} within {@code
   * limits}, checked while reading.
   *
   * @throws ParseLimitException a limit was passed; nothing more was read
   */
  public static ParsedBlocklist parse(
      InputStream in,
      BlocklistFormat format,
      Charset charset,
      BlockIndex.Builder combined,
      ParseLimits limits)
      throws IOException, BlocklistParseException {
    ContentCap cap =
        new ContentCap(ungzip(new BufferedInputStream(in, 1 << 16)), limits.maxBytes());
    try {
      return parseContent(cap, format, charset, combined, limits);
    } catch (ContentCap.Exceeded e) {
      throw new ParseLimitException(
          "the content passed "
              + limits.maxBytes()
              + " bytes (after decompression); stopped reading",
          cap.count);
    } catch (Run.TooManyEntries e) {
      throw new ParseLimitException(
          "more than "
              + limits.maxEntries()
              + " values; stopped reading after "
              + cap.count
              + " bytes",
          cap.count);
    }
  }

  private static ParsedBlocklist parseContent(
      InputStream content,
      BlocklistFormat format,
      Charset charset,
      BlockIndex.Builder combined,
      ParseLimits limits)
      throws IOException, BlocklistParseException {
    Charset cs = charset == null ? format.defaultCharset() : charset;
    InputStream body = content;
    boolean direct = Utf8Transcoding.asciiCompatible(cs);
    if (direct) {
      BufferedInputStream peek =
          body instanceof BufferedInputStream b ? b : new BufferedInputStream(body, 1 << 16);
      rejectUtf16ByteOrderMark(peek, cs);
      body = peek;
    }
    Run run = new Run(format, direct ? cs : StandardCharsets.UTF_8, combined, limits.maxEntries());
    run.read(new LineReader(direct ? body : new Utf8Transcoding(body, cs)));
    if (run.errors > run.entries) {
      String verdict =
          ": this is not a list in the "
              + format.wireName()
              + " format and "
              + cs.name()
              + " encoding, or it is damaged; check both";
      throw new BlocklistParseException(
          run.errors
              + " of "
              + (run.errors + run.entries)
              + " values did not parse (first: "
              + String.join("; ", run.messages)
              + ")"
              + verdict,
          run.errors + " of " + (run.errors + run.entries) + " values did not parse" + verdict);
    }
    return new ParsedBlocklist(
        run.builder.build(),
        run.entries,
        run.errors,
        run.messages,
        new RowCounts(run.lines, run.rows, run.extraFields, run.severalUrls, run.withoutIps));
  }

  // Windows tools often save lists as UTF-16 with a byte order mark; name the fix instead of
  // reporting the NUL bytes that follow.
  private static void rejectUtf16ByteOrderMark(BufferedInputStream in, Charset declared)
      throws IOException, BlocklistParseException {
    in.mark(2);
    int b0 = in.read();
    int b1 = in.read();
    in.reset();
    if ((b0 == 0xFF && b1 == 0xFE) || (b0 == 0xFE && b1 == 0xFF)) {
      throw new BlocklistParseException(
          "the data starts with a UTF-16 byte order mark but is read as "
              + declared.name()
              + "; set the encoding to UTF-16");
    }
  }

  private static InputStream ungzip(BufferedInputStream in) throws IOException {
    in.mark(2);
    int b0 = in.read();
    int b1 = in.read();
    in.reset();
    if (b0 != 0x1f || b1 != 0x8b) {
      return in;
    }
    try {
      return new GzipErrors(new GZIPInputStream(in, 1 << 16));
    } catch (EOFException | ZipException e) {
      throw damagedGzip(0, e);
    }
  }

  private static IOException damagedGzip(long bytes, IOException cause) {
    return new IOException(
        "gzip data is truncated or corrupt after "
            + bytes
            + " bytes of content ("
            + cause.getMessage()
            + "): an incomplete download? The list was not read",
        cause);
  }

  /** Turns the JDK's terse gzip errors into one that says what happened. */
  private static final class GzipErrors extends FilterInputStream {
    private long bytes;

    GzipErrors(InputStream in) {
      super(in);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        int n = super.read(b, off, len);
        bytes += Math.max(n, 0);
        return n;
      } catch (EOFException | ZipException e) {
        throw damagedGzip(bytes, e);
      }
    }
  }

  /** Counts content bytes and stops the read past the limit, before they reach the parser. */
  private static final class ContentCap extends FilterInputStream {
    /**
     * Not a damaged stream: unwinds the read to {@link BlocklistParser#parse}, which names the
     * limit.
     */
    static final class Exceeded extends IOException {
      Exceeded() {
        super("content limit passed");
      }
    }

    private final long limit;
    long count;

    ContentCap(InputStream in, long limit) {
      super(in);
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0 && ++count > limit) {
        throw new Exceeded();
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0 && (count += n) > limit) {
        throw new Exceeded();
      }
      return n;
    }
  }

  /** The state of reading one source. */
  private static final class Run {
    /**
     * Unwinds the read once the entry limit is passed (values are added deep inside the line loop).
     */
    static final class TooManyEntries extends RuntimeException {
      TooManyEntries() {
        super("entry limit passed", null, false, false);
      }
    }

    final int maxEntries;
    final BlocklistFormat format;
    final ByteChars chars;
    final BlockIndex.Builder builder = BlockIndex.builder();
    final BlockIndex.Builder combined;
    final long[] range = new long[4];
    final List<String> messages = new ArrayList<>();
    int entries;
    int errors;
    int lines;
    int rows;
    int extraFields;
    int severalUrls;
    int withoutIps;

    Run(BlocklistFormat format, Charset lineCharset, BlockIndex.Builder combined, int maxEntries) {
      this.maxEntries = maxEntries;
      this.format = format;
      this.chars = new ByteChars(lineCharset);
      this.combined = combined;
    }

    void read(LineReader reader) throws IOException, BlocklistParseException {
      boolean sawContent = false;
      while (reader.next()) {
        byte[] b = reader.buffer();
        int s = reader.start();
        int e = reader.end();
        int line = reader.lineNumber();
        lines = line;
        if (line == 1) {
          if (e - s >= 3
              && b[s] == (byte) 0xEF
              && b[s + 1] == (byte) 0xBB
              && b[s + 2] == (byte) 0xBF) {
            s += 3; // UTF-8 byte order mark
          }
        }
        while (s < e && isBlank(b[s])) {
          s++;
        }
        while (e > s && isBlank(b[e - 1])) {
          e--;
        }
        if (s == e) {
          continue;
        }
        chars.point(b);
        if (!sawContent) {
          sawContent = true;
          if (b[s] == '<') {
            throw new BlocklistParseException(
                "line "
                    + line
                    + " starts with '<': this looks like an HTML page"
                    + " (an error page served instead of the list?), not a list in the "
                    + format.wireName()
                    + " format");
          }
          if (format == BlocklistFormat.ZAPRET_CSV && startsWith(b, s, e, "Updated:")) {
            continue; // the dump's header line
          }
        }
        if (format == BlocklistFormat.IP_LIST) {
          ipListLine(b, s, e, line);
        } else {
          zapretRow(b, s, e, line);
        }
      }
    }

    private void ipListLine(byte[] b, int s, int e, int line) {
      if (b[s] == '#') {
        return;
      }
      int hash = indexOf(b, s, e, (byte) '#');
      if (hash >= 0) {
        e = hash;
        while (e > s && isBlank(b[e - 1])) {
          e--;
        }
      }
      rows++;
      value(s, e, line);
    }

    /**
     * {@code ips;domain;url;org;decision_number;decision_date}. A URL may itself contain ';', so a
     * row with more fields is read as the first two, the last three, and the URL in between.
     */
    private void zapretRow(byte[] b, int s, int e, int line) {
      rows++;
      int semicolons = 0;
      int first = -1;
      int second = -1;
      // The last three ';' seen: the one before org is the URL's end.
      int last1 = -1;
      int last2 = -1;
      int last3 = -1;
      // The first " | " after the URL's start: there are several URLs when it lies before the
      // URL's end, known only at the end of the row. Found in the same pass over the bytes.
      int firstBar = -1;
      for (int i = s; i < e; i++) {
        byte c = b[i];
        if (c == ';') {
          semicolons++;
          if (first < 0) {
            first = i;
          } else if (second < 0) {
            second = i;
          }
          last3 = last2;
          last2 = last1;
          last1 = i;
        } else if (c == '|'
            && firstBar < 0
            && second >= 0
            && b[i - 1] == ' '
            && i + 1 < e
            && b[i + 1] == ' ') {
          firstBar = i - 1;
        }
      }
      int fields = semicolons + 1;
      if (fields < 6) {
        error(
            "line "
                + line
                + ": "
                + fields
                + " ';'-separated field"
                + (fields == 1 ? "" : "s")
                + ", expected 6 ("
                + ZAPRET_COLUMNS
                + ")");
        return;
      }
      if (fields > 6) {
        extraFields++;
      }
      if (firstBar >= 0 && firstBar + 3 <= last3) {
        severalUrls++;
      }
      int is = s;
      int ie = first;
      while (ie > is && isBlank(b[ie - 1])) {
        ie--;
      }
      if (is == ie) {
        withoutIps++; // a domain-only entry: nothing for the index, and not an error
        return;
      }
      int v = is;
      while (v < ie) {
        int bar = indexOf(b, v, ie, (byte) '|');
        int ve = bar < 0 ? ie : bar;
        int vs = v;
        while (vs < ve && isBlank(b[vs])) {
          vs++;
        }
        int vEnd = ve;
        while (vEnd > vs && isBlank(b[vEnd - 1])) {
          vEnd--;
        }
        if (vs < vEnd) {
          value(vs, vEnd, line);
        }
        v = ve + 1;
      }
    }

    private void value(int s, int e, int line) {
      if (entries >= maxEntries) {
        throw new TooManyEntries();
      }
      try {
        if (IpAddresses.parseRange(chars, s, e, range)) {
          builder.addIpv6(range[0], range[1], range[2], range[3]);
          if (combined != null) {
            combined.addIpv6(range[0], range[1], range[2], range[3]);
          }
        } else {
          builder.addIpv4(range[1], range[3]);
          if (combined != null) {
            combined.addIpv4(range[1], range[3]);
          }
        }
        entries++;
      } catch (IllegalArgumentException ex) {
        error("line " + line + ": " + ex.getMessage());
      }
    }

    private void error(String message) {
      errors++;
      if (messages.size() < ParsedBlocklist.MAX_REPORTED_ERRORS) {
        messages.add(message);
      }
    }
  }

  private static boolean isBlank(byte c) {
    return c == ' ' || c == '\t' || c == '\r';
  }

  private static int indexOf(byte[] b, int from, int to, byte c) {
    for (int i = from; i < to; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private static boolean startsWith(byte[] b, int from, int to, String ascii) {
    if (to - from < ascii.length()) {
      return false;
    }
    for (int i = 0; i < ascii.length(); i++) {
      if (b[from + i] != ascii.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
