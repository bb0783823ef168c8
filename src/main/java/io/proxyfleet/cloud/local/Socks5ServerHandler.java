package io.proxyfleet.cloud.local;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5InitialResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5PasswordAuthResponse;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequest;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequest;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5Message;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequest;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthStatus;
import io.netty.handler.codec.socksx.v5.Socks5ServerEncoder;
import io.netty.util.ReferenceCountUtil;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SOCKS5 server side (RFC 1928) with mandatory username/password authentication (RFC 1929) and the
 * CONNECT command only.
 */
final class Socks5ServerHandler extends ChannelInboundHandlerAdapter {

  private static final Logger LOG = LoggerFactory.getLogger(Socks5ServerHandler.class);

  private static final String ENCODER = "socks5-encoder";
  private static final String DECODER = "socks5-decoder";
  private static final String HANDLER = "socks5-handler";

  private enum Phase {
    GREETING,
    AUTH,
    COMMAND,
    CONNECTING,
    RELAYING
  }

  private final LoopbackNetwork network;
  private final CredentialCheck credentials;
  private Phase phase = Phase.GREETING;
  // Bytes a client sends right after CONNECT, before we answered it; they belong to the target.
  private final List<ByteBuf> early = new ArrayList<>();

  private Socks5ServerHandler(LoopbackNetwork network, CredentialCheck credentials) {
    this.network = network;
    this.credentials = credentials;
  }

  /** Installs the SOCKS5 server pipeline on a freshly accepted channel. */
  static void install(Channel channel, LoopbackNetwork network, CredentialCheck credentials) {
    channel
        .pipeline()
        .addLast(HandshakeDeadline.NAME, new HandshakeDeadline(Tunnels.HANDSHAKE_TIMEOUT))
        .addLast(ENCODER, Socks5ServerEncoder.DEFAULT)
        .addLast(DECODER, new Socks5InitialRequestDecoder())
        .addLast(HANDLER, new Socks5ServerHandler(network, credentials));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf buf) {
      if (phase == Phase.CONNECTING) {
        early.add(buf);
      } else {
        buf.release();
        ctx.close();
      }
      return;
    }
    try {
      if (!(msg instanceof Socks5Message message) || message.decoderResult().isFailure()) {
        LOG.debug("closing {}: malformed SOCKS5 message", ctx.channel());
        ctx.close();
      } else if (phase == Phase.GREETING && message instanceof Socks5InitialRequest greeting) {
        greet(ctx, greeting);
      } else if (phase == Phase.AUTH && message instanceof Socks5PasswordAuthRequest auth) {
        authenticate(ctx, auth);
      } else if (phase == Phase.COMMAND && message instanceof Socks5CommandRequest command) {
        command(ctx, command);
      } else {
        ctx.close();
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void greet(ChannelHandlerContext ctx, Socks5InitialRequest greeting) {
    if (!greeting.authMethods().contains(Socks5AuthMethod.PASSWORD)) {
      ctx.writeAndFlush(new DefaultSocks5InitialResponse(Socks5AuthMethod.UNACCEPTED))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    // Phase and response before the decoder swap: the swap hands bytes the client already
    // pipelined to the new decoder, which may call back into this handler right away.
    phase = Phase.AUTH;
    ctx.writeAndFlush(new DefaultSocks5InitialResponse(Socks5AuthMethod.PASSWORD));
    ctx.pipeline().replace(DECODER, DECODER, new Socks5PasswordAuthRequestDecoder());
  }

  private void authenticate(ChannelHandlerContext ctx, Socks5PasswordAuthRequest auth) {
    if (!credentials.matches(auth.username(), auth.password())) {
      LOG.debug("refusing {}: wrong SOCKS5 credentials", ctx.channel());
      ctx.writeAndFlush(new DefaultSocks5PasswordAuthResponse(Socks5PasswordAuthStatus.FAILURE))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    phase = Phase.COMMAND;
    ctx.writeAndFlush(new DefaultSocks5PasswordAuthResponse(Socks5PasswordAuthStatus.SUCCESS));
    ctx.pipeline().replace(DECODER, DECODER, new Socks5CommandRequestDecoder());
  }

  private void command(ChannelHandlerContext ctx, Socks5CommandRequest command) {
    if (command.type() != Socks5CommandType.CONNECT) {
      ctx.writeAndFlush(
              new DefaultSocks5CommandResponse(
                  Socks5CommandStatus.COMMAND_UNSUPPORTED, Socks5AddressType.IPv4))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    phase = Phase.CONNECTING;
    Channel inbound = ctx.channel();
    inbound.config().setAutoRead(false);
    ChannelFuture connect =
        Tunnels.connect(
            network,
            inbound,
            Tunnels.unbracket(command.dstAddr()),
            command.dstPort(),
            new ChannelInitializer<>() {
              @Override
              protected void initChannel(Channel ch) {}
            });
    connect.addListener((ChannelFutureListener) f -> connected(ctx, f));
  }

  private void connected(ChannelHandlerContext ctx, ChannelFuture f) {
    Channel inbound = ctx.channel();
    Channel outbound = f.channel();
    if (!inbound.isActive()) {
      outbound.close();
      releaseEarly();
      return;
    }
    if (!f.isSuccess()) {
      LOG.debug("{}: SOCKS5 connect failed: {}", inbound, f.cause().toString());
      releaseEarly();
      ctx.writeAndFlush(
              new DefaultSocks5CommandResponse(failureStatus(f.cause()), Socks5AddressType.IPv4))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    InetSocketAddress bound = (InetSocketAddress) outbound.localAddress();
    DefaultSocks5CommandResponse success =
        bound != null && bound.getAddress() instanceof Inet4Address
            ? new DefaultSocks5CommandResponse(
                Socks5CommandStatus.SUCCESS,
                Socks5AddressType.IPv4,
                bound.getAddress().getHostAddress(),
                bound.getPort())
            : new DefaultSocks5CommandResponse(Socks5CommandStatus.SUCCESS, Socks5AddressType.IPv4);
    ctx.writeAndFlush(success);
    phase = Phase.RELAYING;
    for (ByteBuf buf : early) {
      outbound.write(buf);
    }
    early.clear();
    outbound.flush();
    ChannelPipeline pipeline = inbound.pipeline();
    Tunnels.relay(inbound, outbound);
    pipeline.remove(HandshakeDeadline.NAME);
    pipeline.remove(DECODER);
    pipeline.remove(ENCODER);
    pipeline.remove(this);
  }

  private static Socks5CommandStatus failureStatus(Throwable cause) {
    // ConnectTimeoutException is a ConnectException too, so it must be tested first.
    if (cause instanceof ConnectTimeoutException
        || cause instanceof UnknownHostException
        || cause instanceof NoRouteToHostException) {
      return Socks5CommandStatus.HOST_UNREACHABLE;
    }
    if (cause instanceof ConnectException) {
      return Socks5CommandStatus.CONNECTION_REFUSED;
    }
    return Socks5CommandStatus.FAILURE;
  }

  private void releaseEarly() {
    early.forEach(ReferenceCountUtil::release);
    early.clear();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseEarly();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("closing {}: {}", ctx.channel(), cause.toString());
    ctx.close();
  }
}
