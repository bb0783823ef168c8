package io.proxyfleet.block.format;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Re-encodes a stream in an encoding that is not ASCII-compatible (UTF-16, UTF-32) as UTF-8, so the
 * byte-level line reader serves every encoding. Only sources declared in such an encoding pay for
 * it.
 */
final class Utf8Transcoding extends InputStream {

  private final Reader reader;
  private final CharsetEncoder encoder =
      StandardCharsets.UTF_8
          .newEncoder()
          .onMalformedInput(CodingErrorAction.REPLACE)
          .onUnmappableCharacter(CodingErrorAction.REPLACE);
  private final CharBuffer chars = CharBuffer.allocate(8192);
  // Large enough for every char of a full chars buffer at 3 UTF-8 bytes each.
  private final ByteBuffer bytes = ByteBuffer.allocate(32768).flip();
  private boolean eof;

  Utf8Transcoding(InputStream in, Charset charset) {
    this.reader = new InputStreamReader(in, charset);
  }

  /** Whether the byte-level reader can read this encoding directly. */
  static boolean asciiCompatible(Charset charset) {
    String probe = "\n\r\t #;|:./0123456789abcdefABCDEF<>Updated";
    return java.util.Arrays.equals(
        probe.getBytes(charset), probe.getBytes(StandardCharsets.US_ASCII));
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (!bytes.hasRemaining()) {
      if (eof) {
        return -1;
      }
      refill();
    }
    int n = Math.min(len, bytes.remaining());
    bytes.get(b, off, n);
    return n;
  }

  private void refill() throws IOException {
    bytes.clear();
    int n = reader.read(chars);
    if (n < 0) {
      eof = true;
    }
    chars.flip();
    encoder.encode(chars, bytes, eof);
    if (eof) {
      encoder.flush(bytes);
    }
    chars.compact(); // keeps half of a surrogate pair split by the read
    bytes.flip();
  }

  @Override
  public void close() throws IOException {
    reader.close();
  }
}
