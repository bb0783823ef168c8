package io.proxyfleet.blocklist;

import java.io.IOException;

/** A body passed its size limit; reading stopped there. */
public final class TooLargeException extends IOException {
  private final long limit;

  public TooLargeException(long limit) {
    super("the body is larger than " + limit + " bytes");
    this.limit = limit;
  }

  public long limit() {
    return limit;
  }
}
