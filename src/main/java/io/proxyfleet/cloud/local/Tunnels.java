package io.proxyfleet.cloud.local;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Outbound connections and byte relays shared by the SOCKS5 and HTTP proxy handlers. */
final class Tunnels {

  /** A dead or blackholed target must not pin a client connection. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /** Clients get this long to authenticate and name a target before they are dropped. */
  static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);

  /** A tunnel with no traffic either way for this long is closed. */
  static final Duration IDLE_TIMEOUT = Duration.ofMinutes(5);

  private Tunnels() {}

  /**
   * Connects to {@code host:port} on the inbound channel's event loop, so relaying needs no
   * cross-thread hand-off. Auto-read stays off until the caller starts relaying.
   */
  static ChannelFuture connect(
      LoopbackNetwork network, Channel inbound, String host, int port, ChannelHandler handler) {
    return new Bootstrap()
        .group(inbound.eventLoop())
        .channel(NioSocketChannel.class)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis())
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.TCP_NODELAY, true)
        .resolver(network.resolver())
        .handler(handler)
        .connect(InetSocketAddress.createUnresolved(host, port));
  }

  /**
   * Turns two connected channels into a raw byte pipe. Both must have auto-read off: each side
   * reads again only once its last chunk was written, which bounds memory to one chunk per side.
   */
  static void relay(Channel inbound, Channel outbound) {
    inbound
        .pipeline()
        .addLast("idle", new IdleStateHandler(0, 0, IDLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
        .addLast("relay", new RelayHandler(outbound));
    outbound.pipeline().addLast("relay", new RelayHandler(inbound));
    inbound.read();
    outbound.read();
  }

  /** Closes after pending writes went out, so a final response still reaches the client. */
  static void closeOnFlush(Channel channel) {
    if (channel.isActive()) {
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    } else {
      channel.close();
    }
  }

  /** Host part of an authority or URI host, without the brackets of an IPv6 literal. */
  static String unbracket(String host) {
    if (host.length() >= 2 && host.startsWith("[") && host.endsWith("]")) {
      return host.substring(1, host.length() - 1);
    }
    return host;
  }
}
