package io.proxyfleet.block.format;

import java.nio.charset.Charset;

/**
 * A reusable character view of raw line bytes, so the address parsers can read list values without
 * decoding every line into a String. Valid because every character that may appear in an address or
 * a delimiter is ASCII and the bytes come from an ASCII-compatible encoding; only the text quoted
 * in error messages is decoded, with the source's real charset.
 */
final class ByteChars implements CharSequence {

  private final Charset charset;
  private byte[] bytes = new byte[0];

  ByteChars(Charset charset) {
    this.charset = charset;
  }

  void point(byte[] buffer) {
    this.bytes = buffer;
  }

  @Override
  public int length() {
    return bytes.length;
  }

  @Override
  public char charAt(int index) {
    return (char) (bytes[index] & 0xFF);
  }

  @Override
  public CharSequence subSequence(int start, int end) {
    return new String(bytes, start, end - start, charset);
  }

  @Override
  public String toString() {
    return new String(bytes, charset);
  }
}
