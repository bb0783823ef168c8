package io.proxyfleet.blocklist;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP response body as an InputStream with a deadline for the whole body. The JDK client's own
 * {@code ofInputStream} has no read timeout (a server that sends headers and then trickles or
 * stalls would block a reconcile thread forever), so this subscriber pulls one chunk at a time and
 * gives up at the deadline. Closing it cancels the subscription, which drops the connection:
 * nothing more is read from a body we abandon.
 */
final class ResponseBodyStream extends InputStream implements Flow.Subscriber<List<ByteBuffer>> {

  /** The deadline passed while waiting for the body. */
  static final class BodyTimeoutException extends IOException {
    BodyTimeoutException() {
      super("the body did not arrive before the timeout");
    }
  }

  /** The connection failed while the body was being read. */
  static final class TransportException extends IOException {
    TransportException(Throwable cause) {
      super("the connection failed while reading the body: " + cause, cause);
    }
  }

  private static final Object END = new Object();

  private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final long deadlineNanos;
  private volatile Flow.Subscription subscription;
  private volatile boolean closed;
  private Iterator<ByteBuffer> chunk;
  private ByteBuffer current;
  private boolean ended;

  /**
   * @param deadlineNanos {@link System#nanoTime()} value after which reads fail
   */
  ResponseBodyStream(long deadlineNanos) {
    this.deadlineNanos = deadlineNanos;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (closed) {
      s.cancel();
    } else {
      s.request(1);
    }
  }

  @Override
  public void onNext(List<ByteBuffer> item) {
    queue.add(item);
  }

  @Override
  public void onError(Throwable throwable) {
    queue.add(throwable);
  }

  @Override
  public void onComplete() {
    queue.add(END);
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    if (!advance()) {
      return -1;
    }
    int n = Math.min(length, current.remaining());
    current.get(buffer, offset, n);
    return n;
  }

  /** Makes {@code current} a buffer with bytes left; false at the end of the body. */
  private boolean advance() throws IOException {
    while (current == null || !current.hasRemaining()) {
      if (chunk != null && chunk.hasNext()) {
        current = chunk.next();
        continue;
      }
      if (ended) {
        return false;
      }
      if (closed) {
        throw new IOException("the body stream is closed");
      }
      Object item;
      try {
        long wait = deadlineNanos - System.nanoTime();
        item = wait <= 0 ? queue.poll() : queue.poll(wait, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        throw new java.io.InterruptedIOException("interrupted while reading the body");
      }
      if (item == null) {
        close();
        throw new BodyTimeoutException();
      }
      if (item == END) {
        ended = true;
        return false;
      }
      if (item instanceof Throwable t) {
        close();
        throw new TransportException(t);
      }
      @SuppressWarnings("unchecked")
      List<ByteBuffer> buffers = (List<ByteBuffer>) item;
      chunk = buffers.iterator();
      // Ask for the next chunk only now: at most one chunk is buffered ahead of the reader.
      subscription.request(1);
    }
    return true;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      Flow.Subscription s = subscription;
      if (s != null) {
        s.cancel();
      }
    }
  }
}
