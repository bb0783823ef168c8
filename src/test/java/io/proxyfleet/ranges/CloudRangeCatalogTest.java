package io.proxyfleet.ranges;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.proxyfleet.ranges.CloudRangeCatalog.Outcome;
import io.proxyfleet.ranges.CloudRangeCatalog.RefreshResult;
import io.proxyfleet.testing.TestData;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Refresh against a local HTTP server standing in for the publishers' URLs. */
class CloudRangeCatalogTest {

  /** What the fake publisher answers next. */
  interface Answer {
    void write(HttpExchange exchange) throws IOException;
  }

  HttpServer server;
  volatile Answer answer;
  final List<String> ifNoneMatch = new CopyOnWriteArrayList<>();
  final CountDownLatch release = new CountDownLatch(1);
  CloudRangeCatalog catalog;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          ifNoneMatch.add(String.valueOf(exchange.getRequestHeaders().getFirst("If-None-Match")));
          try {
            answer.write(exchange);
          } finally {
            exchange.close();
          }
        });
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.start();
    URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    catalog =
        new CloudRangeCatalog(
            Map.of(
                RangePublisher.AWS,
                base.resolve("/ip-ranges.json"),
                RangePublisher.GCP,
                base.resolve("/cloud.json")),
            http,
            Duration.ofMillis(500),
            1 << 20);
  }

  @AfterEach
  void stop() {
    release.countDown();
    server.stop(0);
  }

  static Answer body(int status, byte[] body, String etag) {
    return exchange -> {
      if (etag != null) {
        if (etag.equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
          exchange.sendResponseHeaders(304, -1);
          return;
        }
        exchange.getResponseHeaders().add("ETag", etag);
      }
      exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    };
  }

  @Test
  void startsFromTheSnapshotAndTakesANewerFile() {
    assertThat(catalog.ranges(RangePublisher.GCP).syncToken()).isEqualTo("1753409788780");
    answer = body(200, TestData.bytes(TestData.GCP_2021), "\"v2021\"");

    RefreshResult result = catalog.refresh(RangePublisher.GCP);

    assertThat(result.outcome()).isEqualTo(Outcome.UPDATED);
    assertThat(result.message()).contains("syncToken 1627405291584").contains("30 regions");
    assertThat(catalog.ranges("gcp").syncToken()).isEqualTo("1627405291584");
    assertThat(catalog.ranges("aws").syncToken()).isEqualTo("1759237105");

    // The second refresh asks conditionally and gets a 304.
    RefreshResult again = catalog.refresh(RangePublisher.GCP);
    assertThat(again.outcome()).isEqualTo(Outcome.UNCHANGED);
    assertThat(ifNoneMatch).containsExactly("null", "\"v2021\"");
    assertThat(catalog.ranges("gcp").syncToken()).isEqualTo("1627405291584");
  }

  @Test
  void gzipBodiesAreAccepted() {
    answer = body(200, TestData.bytes(TestData.AWS_2018), null);
    assertThat(catalog.refresh(RangePublisher.AWS).outcome()).isEqualTo(Outcome.UPDATED);
    assertThat(catalog.ranges("aws").syncToken()).isEqualTo("1522952176");
  }

  @Test
  void anHttpErrorKeepsTheLastGoodRanges() {
    answer = body(200, TestData.bytes(TestData.AWS_2018), null);
    catalog.refresh(RangePublisher.AWS);
    answer = body(503, "try later".getBytes(StandardCharsets.UTF_8), null);

    RefreshResult result = catalog.refresh(RangePublisher.AWS);

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(result.message()).contains("HTTP 503").contains("keeping syncToken 1522952176");
    assertThat(catalog.ranges("aws").syncToken()).isEqualTo("1522952176");
  }

  @Test
  void anHtmlPageIsNotTaken() {
    answer =
        body(
            200, "<html><body>captive portal</body></html>".getBytes(StandardCharsets.UTF_8), null);
    RefreshResult result = catalog.refresh(RangePublisher.AWS);
    assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(result.message()).contains("not JSON");
    assertThat(catalog.ranges("aws").syncToken()).isEqualTo("1759237105");
  }

  @Test
  void aFileWithoutTheServiceIsNotTaken() {
    answer = body(200, TestData.bytes(TestData.GOOG_2024), null);
    RefreshResult result = catalog.refresh(RangePublisher.GCP);
    assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(result.message()).contains("lists no region for service 'Google Cloud'");
    assertThat(catalog.ranges("gcp").syncToken()).isEqualTo("1753409788780");
  }

  @Test
  void aBodyOverTheCapIsAbandoned() {
    answer = body(200, new byte[(1 << 20) + 1], null);
    RefreshResult result = catalog.refresh(RangePublisher.AWS);
    assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(result.message()).contains("larger than 1048576 bytes");
    assertThat(catalog.ranges("aws").syncToken()).isEqualTo("1759237105");
  }

  @Test
  void aPublisherThatNeverAnswersTimesOut() {
    answer =
        exchange -> {
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    RefreshResult result = catalog.refresh(RangePublisher.AWS);
    assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(result.message()).containsAnyOf("within 500 ms", "HttpTimeoutException");
    assertThat(catalog.ranges("aws").syncToken()).isEqualTo("1759237105");
  }

  @Test
  void anUnreachablePublisherFails() throws IOException {
    HttpServer gone = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    int port = gone.getAddress().getPort();
    gone.stop(0);
    CloudRangeCatalog unreachable =
        new CloudRangeCatalog(
            Map.of(RangePublisher.AWS, URI.create("http://127.0.0.1:" + port + "/")),
            HttpClient.newHttpClient(),
            Duration.ofSeconds(2),
            1 << 20);
    RefreshResult result = unreachable.refresh(RangePublisher.AWS);
    assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
    // Refused or silently dropped, depending on the network: either way a failure naming the URL.
    assertThat(result.message())
        .startsWith("http://127.0.0.1:" + port + "/: ")
        .contains("keeping syncToken 1759237105");
    assertThat(unreachable.refresh(RangePublisher.GCP).message())
        .contains("no source URL configured for gcp");
  }
}
