package io.proxyfleet.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The "internet" behind the proxies: {@code /hello} returns {@link #BODY}; {@code /echo} describes
 * the request it got, so tests can see what the proxy forwarded.
 */
public final class OriginServer implements AutoCloseable {

  public static final String BODY = "hello through the proxy";

  private final HttpServer server;

  public OriginServer(InetAddress bind) throws IOException {
    server = HttpServer.create(new InetSocketAddress(bind, 0), 0);
    server.createContext("/hello", exchange -> respond(exchange, BODY));
    server.createContext(
        "/echo",
        exchange ->
            respond(
                exchange,
                "uri="
                    + exchange.getRequestURI()
                    + " proxy-authorization="
                    + exchange.getRequestHeaders().containsKey("Proxy-Authorization")
                    + " proxy-connection="
                    + exchange.getRequestHeaders().containsKey("Proxy-Connection")
                    + " host="
                    + exchange.getRequestHeaders().getFirst("Host")));
    server.start();
  }

  public static OriginServer onLoopback() throws IOException {
    return new OriginServer(InetAddress.getByName("127.0.0.1"));
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The URL of {@code /hello} on this server. */
  public String url() {
    return "http://127.0.0.1:" + port() + "/hello";
  }

  private static void respond(HttpExchange exchange, String body) throws IOException {
    byte[] bytes = body.getBytes(UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain");
    exchange.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
