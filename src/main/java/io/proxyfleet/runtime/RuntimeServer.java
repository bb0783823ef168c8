package io.proxyfleet.runtime;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * {@code /healthz}, {@code /readyz} and {@code /metrics} on one port, served by the JDK's HTTP
 * server: the kubelet and Prometheus need nothing more, and a web framework would be the largest
 * dependency of the jar.
 */
public final class RuntimeServer implements AutoCloseable {

  public static final String HEALTH_PATH = "/healthz";
  public static final String READY_PATH = "/readyz";
  public static final String METRICS_PATH = "/metrics";

  /** The Prometheus text exposition format, which every Prometheus and agent understands. */
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;

  private RuntimeServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Serves on {@code host:port} (port 0 picks a free one) until closed.
   *
   * @param live whether the process can still do its work (false makes the kubelet restart it)
   * @param ready whether it may be counted as available (false during startup)
   */
  public static RuntimeServer start(
      String host,
      int port,
      BooleanSupplier live,
      BooleanSupplier ready,
      PrometheusMeterRegistry registry) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 16);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    // Two threads: a slow scrape must not make a probe time out, and probes are cheap.
    ExecutorService executor =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "proxyfleet-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext(HEALTH_PATH, exchange -> probe(exchange, live));
    server.createContext(READY_PATH, exchange -> probe(exchange, ready));
    server.createContext(
        METRICS_PATH,
        exchange -> {
          if (!exactPath(exchange, METRICS_PATH)) return;
          byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
          respond(exchange, 200, PROMETHEUS_TEXT, body);
        });
    server.start();
    return new RuntimeServer(server, executor);
  }

  /** The port actually bound (useful when started with 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  private static void probe(HttpExchange exchange, BooleanSupplier check) throws IOException {
    if (!exactPath(exchange, exchange.getHttpContext().getPath())) return;
    boolean ok;
    try {
      ok = check.getAsBoolean();
    } catch (RuntimeException e) {
      // A check that throws is a failing check, never a hung or 500-looping probe.
      ok = false;
    }
    respond(
        exchange,
        ok ? 200 : 503,
        "text/plain; charset=utf-8",
        (ok ? "ok\n" : "not ok\n").getBytes(StandardCharsets.UTF_8));
  }

  /** The JDK matches contexts by prefix; {@code /healthzfoo} must be a 404, not a probe. */
  private static boolean exactPath(HttpExchange exchange, String path) throws IOException {
    if (exchange.getRequestURI().getPath().equals(path)) {
      return true;
    }
    respond(
        exchange, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
    return false;
  }

  private static void respond(HttpExchange exchange, int status, String contentType, byte[] body)
      throws IOException {
    try (exchange) {
      exchange.getResponseHeaders().set("Content-Type", contentType);
      boolean head = "HEAD".equals(exchange.getRequestMethod());
      exchange.sendResponseHeaders(status, head ? -1 : body.length);
      if (!head) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  @Override
  public void close() {
    // No grace: a scrape in flight during shutdown is worth nothing.
    server.stop(0);
    executor.shutdownNow();
  }
}
