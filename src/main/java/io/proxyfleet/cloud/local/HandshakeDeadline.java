package io.proxyfleet.cloud.local;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a client connection that has not finished its proxy handshake in time. Removed from the
 * pipeline once relaying starts, after which the idle timeout takes over.
 */
final class HandshakeDeadline extends ChannelInboundHandlerAdapter {

  static final String NAME = "handshake-deadline";

  private final Duration timeout;
  private ScheduledFuture<?> task;

  HandshakeDeadline(Duration timeout) {
    this.timeout = timeout;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    task =
        ctx.executor()
            .schedule(() -> ctx.channel().close(), timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (task != null) {
      task.cancel(false);
    }
  }
}
