package io.proxyfleet.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** A tiny HTTP server on 127.0.0.1 that proxies in tests fetch through. */
public final class OriginServer implements AutoCloseable {

  public static final String BODY = "hello through the proxy";
  private final HttpServer server;

  private OriginServer(HttpServer server) {
    this.server = server;
  }

  public static OriginServer onLoopback() throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    return new OriginServer(server);
  }

  public String host() {
    return server.getAddress().getAddress().getHostAddress();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public String url() {
    return "http://" + host() + ":" + port() + "/";
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
