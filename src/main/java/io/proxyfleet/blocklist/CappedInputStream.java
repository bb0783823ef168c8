package io.proxyfleet.blocklist;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Fails as soon as more than {@code limit} bytes have been read, so a runaway feed (or a 2 GB error
 * page) costs at most the limit plus one buffer, never the whole body.
 */
public final class CappedInputStream extends FilterInputStream {
  private final long limit;
  private long count;

  public CappedInputStream(InputStream in, long limit) {
    super(in);
    this.limit = limit;
  }

  /** Bytes read so far. */
  public long count() {
    return count;
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      account(1);
    }
    return b;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    // Never ask for more than one byte past the limit: the overflow is detected without reading on.
    long allowed = limit - count + 1;
    int n = super.read(buffer, offset, (int) Math.min(length, Math.max(1, allowed)));
    if (n > 0) {
      account(n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long skipped = super.skip(Math.min(n, limit - count + 1));
    account(skipped);
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  private void account(long n) throws TooLargeException {
    count += n;
    if (count > limit) {
      throw new TooLargeException(limit);
    }
  }
}
