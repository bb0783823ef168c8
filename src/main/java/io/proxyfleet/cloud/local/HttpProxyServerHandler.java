package io.proxyfleet.cloud.local;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.CharsetUtil;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP proxy server side with mandatory Basic proxy authentication: {@code CONNECT host:port}
 * tunnels and absolute-form {@code http://} requests. Each client connection carries one CONNECT
 * tunnel or one forwarded request; keep-alive is only honoured across 407 challenges.
 */
final class HttpProxyServerHandler extends ChannelInboundHandlerAdapter {

  private static final Logger LOG = LoggerFactory.getLogger(HttpProxyServerHandler.class);

  private static final String CODEC = "http-codec";
  private static final String AGGREGATOR = "http-aggregator";
  private static final String HANDLER = "http-proxy";

  /** Request bodies are buffered whole; a proxy for browsing and APIs needs no more. */
  static final int MAX_REQUEST_BODY = 64 * 1024;

  static final String PROXY_AUTHENTICATE = "Basic realm=\"proxyfleet\"";

  private static final HttpResponseStatus CONNECTION_ESTABLISHED =
      new HttpResponseStatus(200, "Connection Established");

  // Hop-by-hop headers (RFC 9110 section 7.6.1) plus the proxy credentials: never forwarded.
  private static final List<String> HOP_BY_HOP =
      List.of(
          "proxy-authorization",
          "proxy-connection",
          "proxy-authenticate",
          "connection",
          "keep-alive",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "expect");

  private final LoopbackNetwork network;
  private final CredentialCheck credentials;
  private boolean busy;
  private Channel outbound;

  private HttpProxyServerHandler(LoopbackNetwork network, CredentialCheck credentials) {
    this.network = network;
    this.credentials = credentials;
  }

  /** Installs the HTTP proxy server pipeline on a freshly accepted channel. */
  static void install(Channel channel, LoopbackNetwork network, CredentialCheck credentials) {
    channel
        .pipeline()
        .addLast(HandshakeDeadline.NAME, new HandshakeDeadline(Tunnels.HANDSHAKE_TIMEOUT))
        .addLast(CODEC, new HttpServerCodec())
        .addLast(AGGREGATOR, new HttpObjectAggregator(MAX_REQUEST_BODY))
        .addLast(HANDLER, new HttpProxyServerHandler(network, credentials));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    try {
      handle(ctx, request);
    } finally {
      request.release();
    }
  }

  private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (busy) {
      // A request pipelined behind one we are still serving: not supported, and we cannot answer
      // it in order, so drop the connection.
      ctx.close();
      return;
    }
    if (request.decoderResult().isFailure()) {
      sendError(ctx.channel(), HttpResponseStatus.BAD_REQUEST, "malformed request");
      return;
    }
    String authorization = request.headers().get(HttpHeaderNames.PROXY_AUTHORIZATION);
    if (authorization == null) {
      // A client without credentials normally retries with them on the same connection.
      challenge(ctx, HttpUtil.isKeepAlive(request));
      return;
    }
    if (!credentials.matchesBasic(authorization)) {
      LOG.debug("refusing {}: wrong proxy credentials", ctx.channel());
      challenge(ctx, false);
      return;
    }
    if (HttpMethod.CONNECT.equals(request.method())) {
      tunnel(ctx, request.uri());
    } else {
      forward(ctx, request);
    }
  }

  private void tunnel(ChannelHandlerContext ctx, String authority) {
    int colon = authority.lastIndexOf(':');
    int port = colon > 0 ? parsePort(authority.substring(colon + 1)) : -1;
    if (port < 0) {
      sendError(ctx.channel(), HttpResponseStatus.BAD_REQUEST, "CONNECT needs host:port");
      return;
    }
    String host = Tunnels.unbracket(authority.substring(0, colon));
    startConnect(ctx, host, port, noHandlers())
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (!ready(ctx, f)) {
                    return;
                  }
                  ctx.writeAndFlush(
                      new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, CONNECTION_ESTABLISHED));
                  // The 200 went through the codec synchronously; from here on the client speaks
                  // to the target, so the HTTP handlers leave the pipeline.
                  ChannelPipeline pipeline = ctx.pipeline();
                  Tunnels.relay(ctx.channel(), f.channel());
                  pipeline.remove(HandshakeDeadline.NAME);
                  pipeline.remove(AGGREGATOR);
                  pipeline.remove(CODEC);
                  pipeline.remove(this);
                });
  }

  private void forward(ChannelHandlerContext ctx, FullHttpRequest request) {
    URI uri;
    try {
      uri = new URI(request.uri());
    } catch (URISyntaxException e) {
      sendError(ctx.channel(), HttpResponseStatus.BAD_REQUEST, "unparsable request target");
      return;
    }
    if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      sendError(
          ctx.channel(),
          HttpResponseStatus.BAD_REQUEST,
          "this proxy needs an absolute http:// request target, or CONNECT for anything else");
      return;
    }
    String host = Tunnels.unbracket(uri.getHost());
    int port = uri.getPort() == -1 ? 80 : uri.getPort();
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    String originForm = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();

    FullHttpRequest forwarded = request.replace(request.content().retainedDuplicate());
    forwarded.setUri(originForm);
    HttpHeaders headers = forwarded.headers();
    for (String token : headers.getAll(HttpHeaderNames.CONNECTION)) {
      for (String name : token.split(",")) {
        headers.remove(name.trim());
      }
    }
    HOP_BY_HOP.forEach(headers::remove);
    // RFC 9112 section 3.2.2: the request target, not the client's Host header, names the origin.
    String authority = uri.getRawAuthority();
    if (uri.getRawUserInfo() != null) {
      authority = authority.substring(uri.getRawUserInfo().length() + 1);
    }
    headers.set(HttpHeaderNames.HOST, authority);
    // One request per upstream connection: the end of the response is then unambiguous.
    headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    HttpUtil.setContentLength(forwarded, forwarded.content().readableBytes());

    ChannelInitializer<Channel> upstream =
        new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpClientCodec());
          }
        };
    ChannelFuture connect = startConnect(ctx, host, port, upstream);
    connect.addListener(
        (ChannelFutureListener)
            f -> {
              if (!ready(ctx, f)) {
                forwarded.release();
                return;
              }
              Channel up = f.channel();
              up.pipeline()
                  .addLast(
                      new IdleStateHandler(
                          0, 0, Tunnels.IDLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS),
                      new HttpResponseRelay(ctx.channel()));
              ctx.pipeline().remove(HandshakeDeadline.NAME);
              // On a failed write the relay sees the upstream close and answers 502 itself.
              up.writeAndFlush(forwarded)
                  .addListener(
                      w -> {
                        if (w.isSuccess()) {
                          up.read();
                        } else {
                          up.close();
                        }
                      });
            });
  }

  /** Starts the upstream connection; the client is not read while it is pending. */
  private ChannelFuture startConnect(
      ChannelHandlerContext ctx, String host, int port, ChannelInitializer<Channel> handler) {
    busy = true;
    ctx.channel().config().setAutoRead(false);
    ChannelFuture connect = Tunnels.connect(network, ctx.channel(), host, port, handler);
    outbound = connect.channel();
    return connect;
  }

  /** True when the upstream is connected and the client still there; otherwise cleans up. */
  private boolean ready(ChannelHandlerContext ctx, ChannelFuture f) {
    if (!ctx.channel().isActive()) {
      f.channel().close();
      return false;
    }
    if (!f.isSuccess()) {
      LOG.debug("{}: upstream connect failed: {}", ctx.channel(), f.cause().toString());
      boolean timeout = f.cause() instanceof ConnectTimeoutException;
      sendError(
          ctx.channel(),
          timeout ? HttpResponseStatus.GATEWAY_TIMEOUT : HttpResponseStatus.BAD_GATEWAY,
          timeout ? "upstream connect timed out" : "upstream unreachable");
      return false;
    }
    return true;
  }

  private static ChannelInitializer<Channel> noHandlers() {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {}
    };
  }

  private static int parsePort(String s) {
    try {
      int port = Integer.parseInt(s);
      return port >= 1 && port <= 65535 ? port : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static void challenge(ChannelHandlerContext ctx, boolean keepAlive) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED);
    response.headers().set(HttpHeaderNames.PROXY_AUTHENTICATE, PROXY_AUTHENTICATE);
    HttpUtil.setContentLength(response, 0);
    HttpUtil.setKeepAlive(response, keepAlive);
    ChannelFuture written = ctx.writeAndFlush(response);
    if (!keepAlive) {
      written.addListener(ChannelFutureListener.CLOSE);
    }
  }

  static void sendError(Channel channel, HttpResponseStatus status, String message) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(message + "\n", CharsetUtil.UTF_8));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    HttpUtil.setContentLength(response, response.content().readableBytes());
    HttpUtil.setKeepAlive(response, false);
    channel.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (outbound != null) {
      outbound.close();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("closing {}: {}", ctx.channel(), cause.toString());
    ctx.close();
  }
}
