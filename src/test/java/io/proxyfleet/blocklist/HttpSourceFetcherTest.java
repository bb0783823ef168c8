package io.proxyfleet.blocklist;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.block.format.BlocklistFormat;
import io.proxyfleet.testing.FeedServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The fetcher against a real loopback HTTP server serving the real antifilter lists. */
class HttpSourceFetcherTest {

  static FeedServer server;
  static final HttpSourceFetcher fetcher =
      new HttpSourceFetcher(new SourceAccess("default", List.of("127.0.0.0/8")));
  static final byte[] SUBNET = FeedServer.sample("antifilter_subnet.lst");

  @BeforeAll
  static void start() {
    server = new FeedServer();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static FetchRequest request(
      String path,
      String etag,
      String lastModified,
      boolean haveGood,
      Duration timeout,
      long maxBytes) {
    return new FetchRequest(
        "feed",
        "spec.sources[0]",
        URI.create(server.url(path)),
        Optional.empty(),
        etag,
        lastModified,
        haveGood,
        timeout,
        maxBytes,
        BlocklistFormat.IP_LIST,
        null);
  }

  static FetchRequest request(String path) {
    return request(path, null, null, false, Duration.ofSeconds(10), 1 << 20);
  }

  @Test
  void fetchesAndParsesAndKeepsValidators() {
    server.content("/subnet.lst", SUBNET, "\"v1\"", "Mon, 12 Aug 2024 00:34:24 GMT");
    FetchResult r = fetcher.fetch(request("/subnet.lst"));
    assertThat(r)
        .isInstanceOfSatisfying(
            FetchResult.Fetched.class,
            f -> {
              assertThat(f.parsed().entries()).isEqualTo(120);
              assertThat(f.parsed().parseErrors()).isZero();
              assertThat(f.parsed().index().ipv4Addresses()).isEqualTo(802_852);
              assertThat(f.etag()).isEqualTo("\"v1\"");
              assertThat(f.lastModified()).isEqualTo("Mon, 12 Aug 2024 00:34:24 GMT");
              assertThat(f.bytes()).isEqualTo(SUBNET.length);
            });
    assertThat(server.seen("/subnet.lst"))
        .last()
        .satisfies(
            s -> {
              assertThat(s.ifNoneMatch()).as("no validators without a good version").isNull();
              assertThat(s.ifModifiedSince()).isNull();
            });
  }

  @Test
  void etagIsSentBackAndA304KeepsTheVersion() {
    server.content("/etag.lst", SUBNET, "\"abc\"", null);
    FetchResult r =
        fetcher.fetch(request("/etag.lst", "\"abc\"", null, true, Duration.ofSeconds(10), 1 << 20));
    assertThat(r).isInstanceOf(FetchResult.NotModified.class);
    assertThat(server.seen("/etag.lst"))
        .last()
        .satisfies(
            s -> {
              assertThat(s.ifNoneMatch()).isEqualTo("\"abc\"");
              assertThat(s.status()).isEqualTo(304);
            });
    // A changed ETag on the server means new content.
    assertThat(
            fetcher.fetch(
                request("/etag.lst", "\"old\"", null, true, Duration.ofSeconds(10), 1 << 20)))
        .isInstanceOf(FetchResult.Fetched.class);
  }

  @Test
  void lastModifiedIsSentBackAsIfModifiedSince() {
    String lm = "Tue, 01 Oct 2025 12:34:25 GMT";
    server.content("/lm.lst", SUBNET, null, lm);
    assertThat(fetcher.fetch(request("/lm.lst", null, lm, true, Duration.ofSeconds(10), 1 << 20)))
        .isInstanceOf(FetchResult.NotModified.class);
    assertThat(server.seen("/lm.lst"))
        .last()
        .satisfies(s -> assertThat(s.ifModifiedSince()).isEqualTo(lm));
  }

  @Test
  void gzipContentEncodingIsDecoded() {
    server.content("/gz.lst", FeedServer.gzip(SUBNET), "\"gz\"", null, "gzip", null);
    assertThat(fetcher.fetch(request("/gz.lst")))
        .isInstanceOfSatisfying(
            FetchResult.Fetched.class,
            f -> assertThat(f.parsed().index().ipv4Addresses()).isEqualTo(802_852));
  }

  @Test
  void statusesMapToReasons() {
    server.status("/gone.lst", 404, "nope".getBytes());
    server.status("/broken.lst", 503, "busy".getBytes());
    server.status("/secret.lst", 403, "no".getBytes());
    assertThat(failure(request("/gone.lst")).reason()).isEqualTo(FailureReason.NOT_FOUND);
    assertThat(failure(request("/broken.lst")).reason()).isEqualTo(FailureReason.FETCH_FAILED);
    assertThat(failure(request("/secret.lst")).message())
        .contains("HTTP 403")
        .contains("spec.sources[0].authSecret");
  }

  @Test
  void anEndlessBodyIsAbandonedJustPastMaxBytes() {
    server.endless("/endless.lst", 0);
    long before = server.endlessBytesWritten();
    long finished = server.endlessFinished();
    SourceFailure f =
        failure(request("/endless.lst", null, null, false, Duration.ofSeconds(30), 1 << 20));
    assertThat(f.reason()).isEqualTo(FailureReason.TOO_LARGE);
    assertThat(f.message()).contains("maxBytes=1048576").contains("spec.sources[0].maxBytes");
    // The server stops when the client hangs up; socket buffers let it get somewhat ahead.
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> server.endlessFinished() > finished);
    assertThat(server.endlessBytesWritten() - before)
        .as("bytes the server wrote")
        .isLessThan(64L << 20);
  }

  @Test
  void aDeclaredLengthAboveMaxBytesIsRefusedBeforeReading() {
    server.endless("/huge.lst", 2L << 30);
    SourceFailure f =
        failure(request("/huge.lst", null, null, false, Duration.ofSeconds(30), 1 << 20));
    assertThat(f.reason()).isEqualTo(FailureReason.TOO_LARGE);
    assertThat(f.message()).contains("Content-Length 2147483648");
  }

  @Test
  void slowHeadersAndStalledBodiesTimeOut() {
    server.slow("/slow.lst", Duration.ofSeconds(3), SUBNET);
    server.stalling("/stall.lst", Duration.ofSeconds(3));
    assertThat(
            failure(request("/slow.lst", null, null, false, Duration.ofSeconds(1), 1 << 20))
                .reason())
        .isEqualTo(FailureReason.TIMEOUT);
    SourceFailure stalled =
        failure(request("/stall.lst", null, null, false, Duration.ofSeconds(1), 1 << 20));
    assertThat(stalled.reason()).isEqualTo(FailureReason.TIMEOUT);
    assertThat(stalled.message()).contains("body did not arrive");
  }

  @Test
  void htmlTruncatedGzipAndWrongEncodingAreParseFailures() {
    server.content(
        "/html.lst",
        "<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n".getBytes(),
        null,
        null);
    byte[] gz = FeedServer.gzip(FeedServer.sample("antifilter_ipsum.lst"));
    server.content("/trunc.lst.gz", java.util.Arrays.copyOf(gz, gz.length / 2), null, null);
    server.content(
        "/utf16.lst",
        new String(SUBNET, StandardCharsets.US_ASCII).getBytes(StandardCharsets.UTF_16),
        null,
        null);
    assertThat(failure(request("/html.lst")))
        .satisfies(
            f -> {
              assertThat(f.reason()).isEqualTo(FailureReason.PARSE_FAILED);
              assertThat(f.message()).contains("HTML");
            });
    assertThat(failure(request("/trunc.lst.gz")).reason()).isEqualTo(FailureReason.PARSE_FAILED);
    assertThat(failure(request("/utf16.lst")))
        .satisfies(
            f -> {
              assertThat(f.reason()).isEqualTo(FailureReason.PARSE_FAILED);
              assertThat(f.message()).contains("spec.sources[0].encoding");
            });
  }

  @Test
  void redirectsAreFollowedButCredentialsStayWithTheirOrigin() throws Exception {
    server.content("/final.lst", SUBNET, null, null);
    server.redirect("/moved.lst", server.url("/final.lst"));
    try (FeedServer other = new FeedServer()) {
      other.content("/elsewhere.lst", SUBNET, null, null);
      server.redirect("/away.lst", other.url("/elsewhere.lst"));
      FetchRequest same =
          new FetchRequest(
              "feed",
              "spec.sources[0]",
              URI.create(server.url("/moved.lst")),
              Optional.of("Bearer t0ken"),
              null,
              null,
              false,
              Duration.ofSeconds(10),
              1 << 20,
              BlocklistFormat.IP_LIST,
              null);
      assertThat(fetcher.fetch(same)).isInstanceOf(FetchResult.Fetched.class);
      assertThat(server.seen("/final.lst"))
          .last()
          .satisfies(s -> assertThat(s.authorization()).isEqualTo("Bearer t0ken"));
      FetchRequest away =
          new FetchRequest(
              "feed",
              "spec.sources[0]",
              URI.create(server.url("/away.lst")),
              Optional.of("Bearer t0ken"),
              null,
              null,
              false,
              Duration.ofSeconds(10),
              1 << 20,
              BlocklistFormat.IP_LIST,
              null);
      assertThat(fetcher.fetch(away)).isInstanceOf(FetchResult.Fetched.class);
      assertThat(other.seen("/elsewhere.lst"))
          .last()
          .satisfies(s -> assertThat(s.authorization()).isNull());
    }
    server.redirect("/loop.lst", server.url("/loop.lst"));
    assertThat(failure(request("/loop.lst")).message()).contains("more than 5 redirects");
  }

  @Test
  void refusedConnectionsAreFetchFailures() throws Exception {
    int port;
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    FetchRequest r =
        new FetchRequest(
            "feed",
            "spec.sources[0]",
            URI.create("http://127.0.0.1:" + port + "/x.lst"),
            Optional.empty(),
            null,
            null,
            false,
            Duration.ofSeconds(5),
            1 << 20,
            BlocklistFormat.IP_LIST,
            null);
    assertThat(failure(r))
        .satisfies(
            f -> {
              assertThat(f.reason()).isEqualTo(FailureReason.FETCH_FAILED);
              assertThat(f.message()).contains("cannot connect to http://127.0.0.1:" + port);
            });
  }

  static SourceFailure failure(FetchRequest request) {
    FetchResult r = fetcher.fetch(request);
    assertThat(r).isInstanceOf(FetchResult.Failed.class);
    return ((FetchResult.Failed) r).failure();
  }

  @Test
  void aPublicOnlyFetcherSendsNothingToALoopbackFeed() {
    server.content("/internal.lst", SUBNET, null, null);
    FetchResult r =
        new HttpSourceFetcher(SourceAccess.publicOnly("default")).fetch(request("/internal.lst"));
    assertThat(r)
        .isInstanceOfSatisfying(
            FetchResult.Failed.class,
            f -> {
              assertThat(f.failure().reason()).isEqualTo(FailureReason.DESTINATION_REFUSED);
              assertThat(f.failure().message())
                  .contains("127.0.0.1")
                  .contains("not a public address");
            });
    assertThat(server.seen("/internal.lst")).as("no request sent").isEmpty();
  }

  @Test
  void aRedirectToARefusedAddressIsNotFollowed() {
    // Allowed: the feed server's own address only; the redirect goes to another loopback address.
    HttpSourceFetcher oneHost =
        new HttpSourceFetcher(new SourceAccess("default", List.of("127.0.0.1/32")));
    String elsewhere = server.url("/metadata").replace("127.0.0.1", "127.0.0.2");
    server.redirect("/hop.lst", elsewhere);
    server.content(
        "/metadata",
        "iam-role-credentials".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        null,
        null);
    FetchResult r = oneHost.fetch(request("/hop.lst"));
    assertThat(r)
        .isInstanceOfSatisfying(
            FetchResult.Failed.class,
            f -> {
              assertThat(f.failure().reason()).isEqualTo(FailureReason.DESTINATION_REFUSED);
              assertThat(f.failure().message()).startsWith("source feed: redirected: 127.0.0.2");
            });
    assertThat(server.seen("/metadata")).isEmpty();
  }

  @Test
  void anUnparsableBodyIsNeverQuotedInTheFailure() {
    server.content(
        "/config.env",
        "db_password=hunter2\napi_key=abc123\n".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        null,
        null);
    FetchResult r = fetcher.fetch(request("/config.env"));
    assertThat(r)
        .isInstanceOfSatisfying(
            FetchResult.Failed.class,
            f -> {
              assertThat(f.failure().reason()).isEqualTo(FailureReason.PARSE_FAILED);
              assertThat(f.failure().message())
                  .contains("2 of 2 values did not parse")
                  .doesNotContain("hunter2")
                  .doesNotContain("db_password");
            });
  }
}
