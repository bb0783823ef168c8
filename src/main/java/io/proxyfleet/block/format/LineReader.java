package io.proxyfleet.block.format;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a byte stream into lines in place: after {@link #next()} the line is {@code
 * buffer()[start(), end())} without its LF or CRLF. No object per line. Refuses NUL bytes, which
 * never occur in a text list in an ASCII-compatible encoding but fill UTF-16 text and binary data.
 */
final class LineReader {

  /** A longer "line" is not a line-based list (or is read with a wrong encoding). */
  static final int MAX_LINE_BYTES = 64 << 20;

  private final InputStream in;
  private byte[] buf = new byte[1 << 16];
  private int filled;
  private int pos;
  private int start;
  private int end;
  private int lineNumber;
  private long bytesRead;
  private boolean eof;

  LineReader(InputStream in) {
    this.in = in;
  }

  /** Advances to the next line; false at the end of the input. */
  boolean next() throws IOException, BlocklistParseException {
    int scan = pos;
    while (true) {
      byte[] b = buf;
      int limit = filled;
      for (int i = scan; i < limit; i++) {
        byte c = b[i];
        if (c == '\n') {
          finish(i, i + 1);
          return true;
        }
        if (c == 0) {
          throw new BlocklistParseException(
              "line "
                  + (lineNumber + 1)
                  + " contains a NUL byte: this is binary"
                  + " data or text in a 16/32-bit encoding such as UTF-16, not a text list in an ASCII-compatible"
                  + " encoding; convert it or set the encoding");
        }
      }
      if (eof) {
        if (pos == filled) {
          return false;
        }
        finish(filled, filled); // last line without a trailing newline
        return true;
      }
      scan = filled - pos;
      fill();
    }
  }

  private void finish(int lineEnd, int next) {
    start = pos;
    end = lineEnd > start && buf[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
    pos = next;
    lineNumber++;
  }

  /** Moves the partial line to the front (growing the buffer if it fills it) and reads more. */
  private void fill() throws IOException, BlocklistParseException {
    int partial = filled - pos;
    if (pos > 0) {
      System.arraycopy(buf, pos, buf, 0, partial);
    } else if (partial == buf.length) {
      if (buf.length >= MAX_LINE_BYTES) {
        throw new BlocklistParseException(
            "line "
                + (lineNumber + 1)
                + " is longer than "
                + (MAX_LINE_BYTES >> 20)
                + " MiB: this is not a line-based list, or it is read with a wrong encoding");
      }
      buf = Arrays.copyOf(buf, buf.length * 2);
    }
    pos = 0;
    filled = partial;
    int n = in.read(buf, filled, buf.length - filled);
    if (n < 0) {
      eof = true;
    } else {
      filled += n;
      bytesRead += n;
    }
  }

  byte[] buffer() {
    return buf;
  }

  int start() {
    return start;
  }

  int end() {
    return end;
  }

  /** 1-based number of the current line. */
  int lineNumber() {
    return lineNumber;
  }

  long bytesRead() {
    return bytesRead;
  }
}
