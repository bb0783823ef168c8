package io.proxyfleet.cloud.local;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A censored connection: whatever the client sends is swallowed and nothing is ever answered, so it
 * sees what a packet-dropping censor gives (a timeout), not a refusal. Closed after a quiet minute
 * so clients that never give up do not pile up.
 */
final class BlackHole extends ChannelInboundHandlerAdapter {

  static final Duration IDLE = Duration.ofMinutes(1);

  static void install(Channel channel) {
    channel
        .pipeline()
        .addLast(new IdleStateHandler(0, 0, IDLE.toSeconds(), TimeUnit.SECONDS), new BlackHole());
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      ctx.close();
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
