package io.proxyfleet.cloud.local;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.ProxyCredentials;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/** One bound proxy server socket and the client connections it accepted. */
final class ProxyListener {

  private static final Duration BIND_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);

  private final ChannelGroup connections =
      new DefaultChannelGroup("proxy-connections", GlobalEventExecutor.INSTANCE);
  private volatile boolean closed;
  private ListenerChannel serverChannel;

  /**
   * Binds a proxy server; blocks until bound. Throws TRANSIENT when the port is taken (another
   * process may let go of it) and INVALID when the address or port can never work here.
   */
  static ProxyListener bind(
      LoopbackNetwork network,
      InetSocketAddress address,
      Protocol protocol,
      ProxyCredentials credentials,
      String instanceId) {
    ProxyListener listener = new ProxyListener();
    CredentialCheck check = new CredentialCheck(credentials);
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(network.bossGroup(), network.workerGroup())
            .channelFactory(ListenerChannel::new)
            // Re-binding an address whose old connections sit in TIME_WAIT must work.
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    listener.accepted(ch, network, protocol, check);
                  }
                });
    ChannelFuture bound = bootstrap.bind(address);
    if (!bound.awaitUninterruptibly(BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      bound.channel().close();
      throw new CloudException(
          Reason.TRANSIENT,
          "binding " + describe(address) + " for instance " + instanceId + " timed out");
    }
    if (!bound.isSuccess()) {
      throw bindFailure(address, instanceId, bound.cause());
    }
    listener.serverChannel = (ListenerChannel) bound.channel();
    network.listeners().add(listener.serverChannel);
    return listener;
  }

  private void accepted(
      SocketChannel ch, LoopbackNetwork network, Protocol protocol, CredentialCheck check) {
    connections.add(ch);
    network.connections().add(ch);
    // close() sets the flag before closing the group, so a connection accepted concurrently is
    // either in the group when it closes or sees the flag here.
    if (closed) {
      ch.close();
      return;
    }
    if (network.censor().drops(ch.remoteAddress(), ch.localAddress())) {
      BlackHole.install(ch);
      return;
    }
    switch (protocol) {
      case SOCKS5 -> Socks5ServerHandler.install(ch, network, check);
      case HTTP -> HttpProxyServerHandler.install(ch, network, check);
      default -> ch.close();
    }
  }

  /** Stops accepting and drops every client connection; returns once both are closed. */
  void close() {
    closed = true;
    if (serverChannel != null) {
      serverChannel.close().awaitUninterruptibly(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      releaseSocket(serverChannel);
    }
    connections.close().awaitUninterruptibly(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * The JDK only marks a selector-registered socket closed: the kernel socket keeps listening (and
   * accepting into its backlog) until the event loop's selector runs again. A task scheduled from
   * inside the loop runs in a later batch, after a select, when the socket is normally gone; if it
   * is not, rebuilding the selector forces it. Either way the port refuses connections and can be
   * bound again as soon as {@link #close()} returns.
   */
  private static void releaseSocket(ListenerChannel channel) {
    EventLoop loop = channel.eventLoop();
    Promise<Void> released = loop.newPromise();
    try {
      loop.execute(
          () ->
              loop.schedule(
                  () -> {
                    if (channel.socketStillRegistered() && loop instanceof NioEventLoop nio) {
                      nio.rebuildSelector();
                    }
                    released.setSuccess(null);
                  },
                  0,
                  TimeUnit.NANOSECONDS));
    } catch (RejectedExecutionException e) {
      return; // the loop is shutting down and closes its selector itself
    }
    released.awaitUninterruptibly(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Exposes whether the JDK socket is still registered with a selector, i.e. not yet closed. */
  private static final class ListenerChannel extends NioServerSocketChannel {
    boolean socketStillRegistered() {
      return javaChannel().isRegistered();
    }
  }

  private static CloudException bindFailure(
      InetSocketAddress address, String instanceId, Throwable cause) {
    String detail = cause == null ? "" : String.valueOf(cause.getMessage());
    String lower = detail.toLowerCase(Locale.ROOT);
    String where = describe(address) + " for instance " + instanceId;
    if (cause instanceof BindException && lower.contains("in use")) {
      return new CloudException(
          Reason.TRANSIENT, "cannot bind " + where + ": port already in use", cause);
    }
    if (cause instanceof BindException && lower.contains("permission")) {
      return new CloudException(
          Reason.INVALID,
          "cannot bind "
              + where
              + ": port "
              + address.getPort()
              + " needs privileges; use a port above 1023",
          cause);
    }
    if (cause instanceof BindException && lower.contains("assign")) {
      return new CloudException(
          Reason.INVALID,
          "cannot bind " + where + ": address not available (is 127.0.0.0/8 routed to loopback?)",
          cause);
    }
    return new CloudException(Reason.TRANSIENT, "cannot bind " + where + ": " + detail, cause);
  }

  private static String describe(InetSocketAddress address) {
    return address.getHostString() + ":" + address.getPort();
  }
}
