package io.proxyfleet.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;

/**
 * A blocklist feed on loopback (JDK HttpServer) whose behaviour per path the test sets: content
 * with ETag/Last-Modified and real conditional-GET answers, an error status, a slow answer, an
 * endless body. Every request is recorded with the headers that matter.
 */
public final class FeedServer implements AutoCloseable {

  /** One request as the server saw it and answered it. */
  public record Seen(
      String path, String ifNoneMatch, String ifModifiedSince, String authorization, int status) {}

  private interface Behaviour {
    void handle(HttpExchange exchange) throws IOException;
  }

  private final HttpServer server;
  private final ExecutorService executor =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "feed-server");
            t.setDaemon(true);
            return t;
          });
  private final Map<String, Behaviour> paths = new ConcurrentHashMap<>();
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final AtomicLong endlessBytesWritten = new AtomicLong();
  private final AtomicLong endlessFinished = new AtomicLong();
  private final java.util.concurrent.CountDownLatch closed =
      new java.util.concurrent.CountDownLatch(1);

  public FeedServer() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(executor);
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            Behaviour b = paths.get(exchange.getRequestURI().getPath());
            if (b == null) {
              respond(exchange, 404, "no such feed".getBytes(), Map.of());
            } else {
              b.handle(exchange);
            }
          } catch (IOException e) {
            // The client went away (size cap, timeout): expected in these tests.
          }
        });
    server.start();
  }

  /** The real sample data (see {@link SharedData}). */
  public static Path sharedData() {
    return SharedData.root();
  }

  public static byte[] sample(String name) {
    try {
      return Files.readAllBytes(sharedData().resolve("rkn").resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] gzip(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  public String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  /**
   * Serves content with validators and honours If-None-Match / If-Modified-Since with 304.
   *
   * @param etag null to send none
   * @param lastModified null to send none
   * @param requiredAuthorization null to accept any request; otherwise others get 401
   */
  public void content(
      String path,
      byte[] body,
      String etag,
      String lastModified,
      String contentEncoding,
      String requiredAuthorization) {
    paths.put(
        path,
        exchange -> {
          String auth = exchange.getRequestHeaders().getFirst("Authorization");
          if (requiredAuthorization != null && !requiredAuthorization.equals(auth)) {
            respond(exchange, 401, "unauthorized".getBytes(), Map.of());
            return;
          }
          String inm = exchange.getRequestHeaders().getFirst("If-None-Match");
          String ims = exchange.getRequestHeaders().getFirst("If-Modified-Since");
          boolean notModified =
              etag != null && inm != null
                  ? etag.equals(inm)
                  : lastModified != null && lastModified.equals(ims);
          Map<String, String> headers = new java.util.HashMap<>();
          if (etag != null) headers.put("ETag", etag);
          if (lastModified != null) headers.put("Last-Modified", lastModified);
          if (contentEncoding != null) headers.put("Content-Encoding", contentEncoding);
          if (notModified) {
            respond(exchange, 304, null, headers);
          } else {
            respond(exchange, 200, body, headers);
          }
        });
  }

  public void content(String path, byte[] body, String etag, String lastModified) {
    content(path, body, etag, lastModified, null, null);
  }

  public void status(String path, int status, byte[] body) {
    paths.put(path, exchange -> respond(exchange, status, body, Map.of()));
  }

  public void redirect(String path, String location) {
    paths.put(path, exchange -> respond(exchange, 302, null, Map.of("Location", location)));
  }

  /**
   * Plays a slow server: holds the exchange for up to {@code time}, or until the server closes, so
   * no handler thread outlives the test that stalled it.
   */
  private void hold(Duration time) {
    try {
      closed.await(time.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits before answering at all. */
  public void slow(String path, Duration delay, byte[] body) {
    paths.put(
        path,
        exchange -> {
          hold(delay);
          respond(exchange, 200, body, Map.of());
        });
  }

  /** Sends headers, then a few bytes, then stalls before the rest. */
  public void stalling(String path, Duration stall) {
    paths.put(
        path,
        exchange -> {
          record(exchange, 200);
          exchange.sendResponseHeaders(200, 0);
          OutputStream out = exchange.getResponseBody();
          out.write("10.0.0.0/8\n".getBytes());
          out.flush();
          hold(stall);
          out.write("10.1.0.0/16\n".getBytes());
        });
  }

  /**
   * A body of {@code declaredLength} bytes (0: chunked, no length) of valid list lines, generated
   * lazily; bytes actually written are counted in {@link #endlessBytesWritten()}.
   */
  public void endless(String path, long declaredLength) {
    paths.put(
        path,
        exchange -> {
          record(exchange, 200);
          exchange.sendResponseHeaders(200, declaredLength);
          byte[] chunk = "10.20.30.40\n".repeat(64 * 1024 / 12).getBytes();
          OutputStream out = exchange.getResponseBody();
          long limit = declaredLength > 0 ? declaredLength : Long.MAX_VALUE;
          long written = 0;
          try {
            while (written < limit) {
              int n = (int) Math.min(chunk.length, limit - written);
              out.write(chunk, 0, n);
              written += n;
              endlessBytesWritten.addAndGet(n);
            }
          } finally {
            endlessFinished.incrementAndGet();
          }
        });
  }

  /**
   * Endless bodies whose writer has stopped (the client hung up, or the declared length was sent).
   */
  public long endlessFinished() {
    return endlessFinished.get();
  }

  public long endlessBytesWritten() {
    return endlessBytesWritten.get();
  }

  public List<Seen> seen(String path) {
    return seen.stream().filter(s -> s.path().equals(path)).toList();
  }

  private void respond(HttpExchange exchange, int status, byte[] body, Map<String, String> headers)
      throws IOException {
    record(exchange, status);
    headers.forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
    if (body == null || status == 304) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      exchange.getResponseBody().write(body);
    }
  }

  private void record(HttpExchange exchange, int status) {
    var h = exchange.getRequestHeaders();
    seen.add(
        new Seen(
            exchange.getRequestURI().getPath(),
            h.getFirst("If-None-Match"),
            h.getFirst("If-Modified-Since"),
            h.getFirst("Authorization"),
            status));
  }

  @Override
  public void close() {
    closed.countDown();
    server.stop(0);
    executor.shutdownNow();
  }
}
