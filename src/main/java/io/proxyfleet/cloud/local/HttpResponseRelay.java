package io.proxyfleet.cloud.local;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * Streams one upstream HTTP response back to the proxy client, then closes both connections. Runs
 * on the upstream channel, behind its {@code HttpClientCodec}; writes go through the client's
 * {@code HttpServerCodec}, which re-frames the body.
 */
final class HttpResponseRelay extends ChannelInboundHandlerAdapter {

  private final Channel client;
  private boolean started;
  private boolean skippingInformational;
  private boolean finished;

  HttpResponseRelay(Channel client) {
    this.client = client;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HttpObject object) || finished) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (object.decoderResult().isFailure()) {
      ReferenceCountUtil.release(msg);
      fail(ctx);
      return;
    }
    if (msg instanceof HttpResponse response) {
      if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
        // We strip Expect and Upgrade, so a 1xx is noise the client never asked for.
        skippingInformational = true;
      } else {
        started = true;
        response.headers().remove("keep-alive"); // HTTP/1.0 hop-by-hop header
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      }
    }
    if (skippingInformational) {
      if (msg instanceof LastHttpContent) {
        skippingInformational = false;
      }
      ReferenceCountUtil.release(msg);
      ctx.channel().read();
      return;
    }
    boolean last = msg instanceof LastHttpContent;
    finished = last;
    client
        .writeAndFlush(msg)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                ctx.close();
                client.close();
              } else if (last) {
                ctx.close();
                Tunnels.closeOnFlush(client);
              } else {
                ctx.channel().read();
              }
            });
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (!finished) {
      fail(ctx);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      ctx.close();
      client.close();
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    fail(ctx);
  }

  /** Answers 502 when nothing was sent yet; a truncated response can only be cut off. */
  private void fail(ChannelHandlerContext ctx) {
    finished = true;
    ctx.close();
    if (!started && client.isActive()) {
      HttpProxyServerHandler.sendError(
          client, HttpResponseStatus.BAD_GATEWAY, "upstream closed without a response");
    } else {
      client.close();
    }
  }
}
