package io.proxyfleet.ranges;

import io.proxyfleet.block.BlockIndex;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The current ranges of each publisher: the snapshot shipped in the jar until a refresh from the
 * publisher's URL succeeds, then the last good download. A failed refresh (timeout, HTTP error, a
 * body over the size cap, content that is not a range file) never replaces good ranges.
 *
 * <p>Refreshes are conditional ({@code If-None-Match} / {@code If-Modified-Since}), so polling the
 * official files costs a 304 when nothing changed. Thread safe: readers see one consistent file.
 */
public final class CloudRangeCatalog {

  /** The snapshot files in the jar, newest versions checked in with this release. */
  static final Map<RangePublisher, String> SNAPSHOTS =
      Map.of(
          RangePublisher.AWS, "/cloud-ranges/aws_ip-ranges_2025-09-30T125825Z.json.gz",
          RangePublisher.GCP, "/cloud-ranges/gcp_cloud_2025-07-24T191628.json.gz");

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /** The 2025 AWS file is about 2 MB; anything far larger is not a range file. */
  public static final long DEFAULT_MAX_BYTES = 32L << 20;

  /** How a refresh ended. */
  public enum Outcome {
    /** A newer file was downloaded and parsed; it is now current. */
    UPDATED,
    /** The publisher said nothing changed (304) or sent the same sync token. */
    UNCHANGED,
    /** Download or parse failed; the previous ranges stay current. */
    FAILED
  }

  /**
   * @param message what happened, naming the URL and the cause on failure
   * @param current the ranges in use after the refresh
   */
  public record RefreshResult(
      RangePublisher publisher, Outcome outcome, String message, CloudRanges current) {}

  private final Map<RangePublisher, URI> sources;
  private final HttpClient http;
  private final Duration timeout;
  private final long maxBytes;
  private final Map<RangePublisher, Entry> current = new ConcurrentHashMap<>();

  /** The last good ranges and the validators to ask the publisher whether they changed. */
  private record Entry(CloudRanges ranges, String etag, String lastModified) {}

  /**
   * @param sources where each publisher's file is refreshed from
   * @param http a client (its connect timeout should be at most {@code timeout})
   * @param timeout for a whole download, headers and body
   * @param maxBytes largest body accepted
   */
  public CloudRangeCatalog(
      Map<RangePublisher, URI> sources, HttpClient http, Duration timeout, long maxBytes) {
    this.sources = Map.copyOf(sources);
    this.http = Objects.requireNonNull(http, "http");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.maxBytes = maxBytes;
    for (RangePublisher p : RangePublisher.values()) {
      current.put(p, new Entry(snapshot(p), null, null));
    }
  }

  /** The shipped snapshots, refreshable from the official URLs. */
  public static CloudRangeCatalog official() {
    Map<RangePublisher, URI> urls = new EnumMap<>(RangePublisher.class);
    for (RangePublisher p : RangePublisher.values()) {
      urls.put(p, p.officialUrl());
    }
    HttpClient http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
    return new CloudRangeCatalog(urls, http, DEFAULT_TIMEOUT, DEFAULT_MAX_BYTES);
  }

  /** The snapshot shipped in the jar for a publisher (default service). */
  public static CloudRanges snapshot(RangePublisher publisher) {
    String resource = SNAPSHOTS.get(publisher);
    try (InputStream in = CloudRangeCatalog.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("range snapshot " + resource + " is missing from the jar");
      }
      return CloudRangeParser.parse(in, publisher, null);
    } catch (IOException e) {
      throw new UncheckedIOException("reading range snapshot " + resource, e);
    } catch (CloudRangeParseException e) {
      throw new IllegalStateException(
          "range snapshot " + resource + " is broken: " + e.getMessage(), e);
    }
  }

  public CloudRanges ranges(RangePublisher publisher) {
    return current.get(publisher).ranges();
  }

  /**
   * @throws IllegalArgumentException for a provider other than aws or gcp
   */
  public CloudRanges ranges(String provider) {
    return ranges(publisher(provider));
  }

  /**
   * The share of a region's public IPv4 space (default service) that the index blocks, or NaN when
   * the provider's file does not list the region (NaN compares false with any threshold, so an
   * unknown region is never avoided on this ground).
   */
  public double blockedFraction(String provider, String region, BlockIndex index) {
    return exposure(provider, region, index).map(RegionExposure::fraction).orElse(Double.NaN);
  }

  public Optional<RegionExposure> exposure(String provider, String region, BlockIndex index) {
    return ranges(provider).exposure(region, index);
  }

  /** Every region of the provider, worst first. */
  public List<RegionExposure> exposure(String provider, BlockIndex index) {
    return ranges(provider).exposure(index);
  }

  /**
   * Downloads the publisher's file and makes it current if it parses; otherwise keeps what was
   * current.
   */
  public RefreshResult refresh(RangePublisher publisher) {
    URI uri = sources.get(publisher);
    Entry before = current.get(publisher);
    if (uri == null) {
      return new RefreshResult(
          publisher,
          Outcome.FAILED,
          "no source URL configured for " + publisher.wireName(),
          before.ranges());
    }
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri).timeout(timeout).header("Accept-Encoding", "gzip").GET();
    if (before.etag() != null) request.header("If-None-Match", before.etag());
    if (before.lastModified() != null) request.header("If-Modified-Since", before.lastModified());
    CompletableFuture<HttpResponse<byte[]>> pending =
        http.sendAsync(request.build(), info -> new CappedBody(maxBytes));
    HttpResponse<byte[]> response;
    try {
      response = pending.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      pending.cancel(true);
      return failed(
          publisher, before, uri, "no complete answer within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      pending.cancel(true);
      return failed(publisher, before, uri, "interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      String why =
          cause instanceof BodyTooLarge
              ? cause.getMessage()
              : cause.getClass().getSimpleName()
                  + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
      return failed(publisher, before, uri, why);
    }
    if (response.statusCode() == 304) {
      return new RefreshResult(
          publisher, Outcome.UNCHANGED, uri + ": not modified", before.ranges());
    }
    if (response.statusCode() != 200) {
      return failed(publisher, before, uri, "HTTP " + response.statusCode());
    }
    CloudRanges fresh;
    try {
      fresh = CloudRangeParser.parse(new ByteArrayInputStream(response.body()), publisher, null);
    } catch (IOException | CloudRangeParseException e) {
      return failed(publisher, before, uri, e.getMessage());
    }
    if (fresh.regions().isEmpty()) {
      return failed(
          publisher, before, uri, "the file lists no region for service '" + fresh.service() + "'");
    }
    String etag = response.headers().firstValue("ETag").orElse(null);
    String lastModified = response.headers().firstValue("Last-Modified").orElse(null);
    current.put(publisher, new Entry(fresh, etag, lastModified));
    if (fresh.syncToken() != null && fresh.syncToken().equals(before.ranges().syncToken())) {
      return new RefreshResult(
          publisher, Outcome.UNCHANGED, uri + ": same syncToken " + fresh.syncToken(), fresh);
    }
    return new RefreshResult(
        publisher,
        Outcome.UPDATED,
        uri
            + ": syncToken "
            + fresh.syncToken()
            + " ("
            + fresh.createdAt()
            + "), "
            + fresh.regions().size()
            + " regions",
        fresh);
  }

  private static RefreshResult failed(RangePublisher publisher, Entry before, URI uri, String why) {
    return new RefreshResult(
        publisher,
        Outcome.FAILED,
        uri
            + ": "
            + why
            + "; keeping syncToken "
            + before.ranges().syncToken()
            + " ("
            + before.ranges().createdAt()
            + ")",
        before.ranges());
  }

  private static RangePublisher publisher(String provider) {
    return RangePublisher.fromWireName(provider)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "provider '" + provider + "' publishes no ranges; use aws or gcp"));
  }

  private static final class BodyTooLarge extends IOException {
    BodyTooLarge(long max) {
      super("body larger than " + max + " bytes");
    }
  }

  /** Collects a body, giving up (and cancelling the download) past the cap. */
  private static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
    private final long max;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private Flow.Subscription subscription;

    CappedBody(long max) {
      this.max = max;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer b : items) {
        if (out.size() + (long) b.remaining() > max) {
          subscription.cancel();
          result.completeExceptionally(new BodyTooLarge(max));
          return;
        }
        byte[] chunk = new byte[b.remaining()];
        b.get(chunk);
        out.write(chunk, 0, chunk.length);
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(out.toByteArray());
    }
  }
}
