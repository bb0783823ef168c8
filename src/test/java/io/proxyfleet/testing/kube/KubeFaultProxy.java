package io.proxyfleet.testing.kube;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A plain-HTTP proxy in front of the real API server that can answer {@code 409 Conflict} to every
 * other write ({@code PUT}/{@code PATCH}) of each object, with the Status body the API server
 * itself sends, as happens when another writer keeps changing the same objects. (Counted per
 * object: one counter for all writes would starve a writer whose period happens to match the
 * alternation.) Watches pass through as streams (HTTP watches only: a WebSocket upgrade is answered
 * 503, on which the Fabric8 client falls back to an HTTP watch, as it does behind real proxies that
 * cannot upgrade).
 */
public final class KubeFaultProxy implements AutoCloseable {

  private static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "content-length",
          "transfer-encoding",
          "upgrade",
          "http2-settings",
          "host",
          "keep-alive",
          "te",
          "trailer",
          "expect");

  private final HttpServer server;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "kube-fault-proxy");
            t.setDaemon(true);
            return t;
          });
  private final HttpClient upstream;
  private final String target;
  private volatile boolean conflictEveryOtherWrite;
  private final java.util.Map<String, AtomicInteger> writes =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final AtomicLong conflictsSent = new AtomicLong();

  public KubeFaultProxy(String target) {
    this.target = target;
    this.upstream =
        HttpClient.newBuilder()
            .sslContext(KubeApiServer.trustAll())
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .executor(threads)
            .build();
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public void conflictEveryOtherWrite(boolean on) {
    conflictEveryOtherWrite = on;
  }

  public long conflictsSent() {
    return conflictsSent.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if ("websocket".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Upgrade"))) {
        exchange.sendResponseHeaders(503, -1);
        return;
      }
      boolean write = method.equals("PUT") || method.equals("PATCH");
      if (write
          && conflictEveryOtherWrite
          && writes
                      .computeIfAbsent(exchange.getRequestURI().getPath(), k -> new AtomicInteger())
                      .incrementAndGet()
                  % 2
              == 0) {
        conflictsSent.incrementAndGet();
        exchange.getRequestBody().readAllBytes();
        byte[] body =
            ("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Operation cannot"
                    + " be fulfilled: the object has been modified; please apply your changes to the latest version and try again\","
                    + "\"reason\":\"Conflict\",\"code\":409}")
                .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(409, body.length);
        exchange.getResponseBody().write(body);
        return;
      }
      byte[] requestBody = exchange.getRequestBody().readAllBytes();
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(target + exchange.getRequestURI()))
              .method(
                  method,
                  requestBody.length == 0
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofByteArray(requestBody));
      exchange
          .getRequestHeaders()
          .forEach(
              (name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                  values.forEach(v -> request.header(name, v));
                }
              });
      HttpResponse<InputStream> response;
      try {
        response = upstream.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      } catch (IOException e) {
        exchange.sendResponseHeaders(502, -1);
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      response
          .headers()
          .map()
          .forEach(
              (name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                  exchange.getResponseHeaders().put(name, values);
                }
              });
      boolean empty =
          method.equals("HEAD") || response.statusCode() == 204 || response.statusCode() == 304;
      exchange.sendResponseHeaders(response.statusCode(), empty ? -1 : 0);
      try (InputStream in = response.body();
          OutputStream out = exchange.getResponseBody()) {
        byte[] buffer = new byte[16 * 1024];
        int n;
        // Flush every read: a watch is an endless stream of small events.
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // The client or the server hung up (a closed watch): nothing to forward any more.
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
