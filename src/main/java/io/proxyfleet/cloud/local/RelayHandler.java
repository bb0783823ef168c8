package io.proxyfleet.cloud.local;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/** Copies everything read on one channel to its peer and closes the peer when this side closes. */
final class RelayHandler extends ChannelInboundHandlerAdapter {

  private final Channel peer;

  RelayHandler(Channel peer) {
    this.peer = peer;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!peer.isActive()) {
      ReferenceCountUtil.release(msg);
      Tunnels.closeOnFlush(ctx.channel());
      return;
    }
    peer.writeAndFlush(msg)
        .addListener(
            f -> {
              if (f.isSuccess()) {
                ctx.channel().read();
              } else {
                peer.close();
                ctx.channel().close();
              }
            });
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Tunnels.closeOnFlush(peer);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      ctx.close();
      peer.close();
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Resets and broken pipes are the normal end of a proxied connection; nothing to report.
    Tunnels.closeOnFlush(ctx.channel());
  }
}
