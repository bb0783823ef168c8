package io.proxyfleet.blocklist;

import io.proxyfleet.block.ParsedBlocklist;
import io.proxyfleet.block.format.BlocklistParseException;
import io.proxyfleet.block.format.BlocklistParser;
import io.proxyfleet.block.format.ParseLimitException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Flow;

/**
 * Fetches URL sources with the JDK HTTP client: conditional GET, a deadline for the whole exchange,
 * a size cap enforced while streaming (the parser reads straight from the wire, so a 2 GB body is
 * abandoned after {@code maxBytes}), and redirects followed by hand (at most {@link
 * #MAX_REDIRECTS}, http/https only) so the Authorization header is never forwarded to another
 * origin.
 */
public class HttpSourceFetcher {

  public static final int MAX_REDIRECTS = 5;

  private final HttpClient client;
  private final SourceAccess access;
  private final SourceAccess.Resolver resolver;

  public HttpSourceFetcher(SourceAccess access) {
    this(access, SourceAccess.SYSTEM);
  }

  /** With the resolver whose answers are checked (and, for plain http, connected to). */
  public HttpSourceFetcher(SourceAccess access, SourceAccess.Resolver resolver) {
    this(access, newClient(null), resolver);
  }

  public HttpSourceFetcher(SourceAccess access, HttpClient client) {
    this(access, client, SourceAccess.SYSTEM);
  }

  private HttpSourceFetcher(
      SourceAccess access, HttpClient client, SourceAccess.Resolver resolver) {
    this.access = access;
    this.client = client;
    this.resolver = resolver;
  }

  /**
   * One connection per fetch is fine at hourly refreshes; HTTP/1.1 keeps cancellation simple. With
   * {@code pinned}, every request goes to that address as to a proxy: an absolute-form request line
   * (which HTTP/1.1 servers must accept) on a connection to exactly that address, never a new
   * lookup of the name.
   */
  private static HttpClient newClient(InetSocketAddress pinned) {
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30));
    if (pinned != null) {
      builder.proxy(ProxySelector.of(pinned));
    }
    return builder.build();
  }

  public FetchResult fetch(FetchRequest request) {
    long deadline = System.nanoTime() + request.timeout().toNanos();
    Map<String, String> validators =
        ConditionalGet.requestHeaders(
            request.etag(), request.lastModified(), request.haveGoodVersion());
    URI uri = request.uri();
    Optional<String> authorization = request.authorization();
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      // Checked on every hop: a public URL may redirect to the metadata service or a pod address.
      SourceAccess.Checked checked = access.check(uri, resolver);
      if (checked.refusal().isPresent()) {
        return failed(
            FailureReason.DESTINATION_REFUSED,
            request,
            (hop == 0 ? "" : "redirected: ")
                + checked.refusal().get()
                + "; check "
                + request.field()
                + ".url");
      }
      // Plain http to a name goes to the address just checked: a DNS server answering differently
      // the second time (rebinding) is never asked again. https relies on TLS (see SourceAccess).
      HttpClient pinnedOrShared = client;
      if ("http".equalsIgnoreCase(uri.getScheme())
          && !isLiteral(uri.getHost())
          && !checked.addresses().isEmpty()) {
        pinnedOrShared =
            newClient(
                new InetSocketAddress(
                    checked.addresses().get(0), uri.getPort() >= 0 ? uri.getPort() : 80));
      }
      HttpClient hopClient = pinnedOrShared;
      HttpResponse<Flow.Publisher<List<ByteBuffer>>> response;
      try {
        HttpRequest.Builder builder =
            HttpRequest.newBuilder(uri)
                .GET()
                .timeout(remaining(deadline))
                .header("Accept-Encoding", "gzip")
                .header("User-Agent", "proxyfleet-operator");
        validators.forEach(builder::header);
        authorization.ifPresent(a -> builder.header("Authorization", a));
        response = hopClient.send(builder.build(), HttpResponse.BodyHandlers.ofPublisher());
      } catch (HttpConnectTimeoutException e) {
        return failed(
            FailureReason.TIMEOUT,
            request,
            "connecting took longer than the timeout "
                + request.timeout()
                + "; check the host or raise "
                + request.field()
                + ".timeout");
      } catch (HttpTimeoutException e) {
        return failed(
            FailureReason.TIMEOUT,
            request,
            "no response within the timeout "
                + request.timeout()
                + "; raise "
                + request.field()
                + ".timeout or check the server");
      } catch (ConnectException e) {
        return failed(
            FailureReason.FETCH_FAILED,
            request,
            "cannot connect to "
                + origin(uri)
                + " ("
                + describe(e)
                + "); check "
                + request.field()
                + ".url");
      } catch (IOException | IllegalArgumentException e) {
        return failed(
            FailureReason.FETCH_FAILED,
            request,
            "request to " + origin(uri) + " failed (" + describe(e) + "); retrying with backoff");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return failed(FailureReason.FETCH_FAILED, request, "interrupted");
      }
      ResponseBodyStream body = new ResponseBodyStream(deadline);
      response.body().subscribe(body);
      int status = response.statusCode();
      ConditionalGet.Outcome outcome = ConditionalGet.outcome(status, !validators.isEmpty());
      switch (outcome) {
        case NOT_MODIFIED -> {
          body.close();
          return new FetchResult.NotModified();
        }
        case REDIRECT -> {
          body.close();
          Optional<String> location = response.headers().firstValue("Location");
          if (location.isEmpty()) {
            return failed(
                FailureReason.FETCH_FAILED,
                request,
                "HTTP " + status + " without a Location header; check " + request.field() + ".url");
          }
          URI next;
          try {
            next = uri.resolve(location.get().strip());
          } catch (IllegalArgumentException e) {
            return failed(
                FailureReason.FETCH_FAILED,
                request,
                "HTTP " + status + " to an invalid Location; check " + request.field() + ".url");
          }
          String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(Locale.ROOT);
          if (!scheme.equals("http") && !scheme.equals("https")) {
            return failed(
                FailureReason.FETCH_FAILED,
                request,
                "redirected to a " + scheme + " URL; only http and https are followed");
          }
          if (!origin(next).equals(origin(uri))) {
            // Credentials are for the origin the engineer named, not wherever it redirects.
            authorization = Optional.empty();
          }
          uri = next;
          continue;
        }
        case FAILED -> {
          body.close();
          return new FetchResult.Failed(
              ConditionalGet.failure(status, request.source(), request.field()));
        }
        case NEW_CONTENT -> {
          return read(request, response, body);
        }
      }
    }
    return failed(
        FailureReason.FETCH_FAILED,
        request,
        "more than "
            + MAX_REDIRECTS
            + " redirects; point "
            + request.field()
            + ".url at the final location");
  }

  private FetchResult read(
      FetchRequest request, HttpResponse<?> response, ResponseBodyStream body) {
    long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
    if (declared > request.maxBytes()) {
      body.close();
      return tooLarge(request, "Content-Length " + declared);
    }
    CappedInputStream capped = new CappedInputStream(body, request.maxBytes());
    try (InputStream in = capped) {
      ParsedBlocklist parsed =
          BlocklistParser.parse(in, request.format(), request.charset(), null, request.limits());
      Optional<String> insane = ParseSanity.problem(parsed);
      if (insane.isPresent()) {
        return failed(
            FailureReason.PARSE_FAILED,
            request,
            insane.get()
                + "; check "
                + request.field()
                + ".format and "
                + request.field()
                + ".encoding");
      }
      return new FetchResult.Fetched(
          parsed,
          ConditionalGet.validator(response.headers().firstValue("ETag")).orElse(null),
          ConditionalGet.validator(response.headers().firstValue("Last-Modified")).orElse(null),
          capped.count());
    } catch (TooLargeException e) {
      return tooLarge(request, "more than " + request.maxBytes() + " bytes read");
    } catch (ResponseBodyStream.BodyTimeoutException e) {
      return failed(
          FailureReason.TIMEOUT,
          request,
          "the body did not arrive within the timeout "
              + request.timeout()
              + " ("
              + capped.count()
              + " bytes read); raise "
              + request.field()
              + ".timeout or check the server");
    } catch (ResponseBodyStream.TransportException e) {
      return failed(
          FailureReason.FETCH_FAILED,
          request,
          "the connection failed after "
              + capped.count()
              + " bytes ("
              + describe(e.getCause())
              + "); retrying with backoff");
    } catch (IOException e) {
      // Everything else comes from decoding the bytes: a truncated or corrupt gzip stream.
      return failed(
          FailureReason.PARSE_FAILED,
          request,
          "the content cannot be read ("
              + describe(e)
              + "); check that the file is complete and "
              + request.field()
              + ".format is right");
    } catch (ParseLimitException e) {
      return failed(
          FailureReason.TOO_LARGE,
          request,
          e.getMessage()
              + " ("
              + capped.count()
              + " bytes on the wire); raise "
              + request.field()
              + ".maxEntries or "
              + request.field()
              + ".maxContentBytes, or fix the URL");
    } catch (BlocklistParseException e) {
      return failed(
          FailureReason.PARSE_FAILED,
          request,
          e.messageWithoutContent()
              + "; check "
              + request.field()
              + ".url, "
              + request.field()
              + ".format and "
              + request.field()
              + ".encoding");
    } finally {
      body.close();
    }
  }

  private static FetchResult tooLarge(FetchRequest request, String what) {
    return failed(
        FailureReason.TOO_LARGE,
        request,
        "the response is larger than maxBytes="
            + request.maxBytes()
            + " ("
            + what
            + "); stopped reading. Raise "
            + request.field()
            + ".maxBytes or fix the URL");
  }

  private static FetchResult failed(FailureReason reason, FetchRequest request, String message) {
    return new FetchResult.Failed(
        new SourceFailure(reason, "source " + request.source() + ": " + message));
  }

  private static Duration remaining(long deadlineNanos) {
    long left = deadlineNanos - System.nanoTime();
    // HttpRequest rejects a zero timeout; an exhausted deadline times out at once instead.
    return Duration.ofNanos(Math.max(left, 1_000_000));
  }

  /** Whether a URL host is an address literal, which no lookup can change. */
  private static boolean isLiteral(String host) {
    return host != null && (host.startsWith("[") || host.matches("[0-9.]+"));
  }

  /** scheme://host:port, the unit credentials are scoped to. Never includes path or query. */
  static String origin(URI uri) {
    int port =
        uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    return Objects.toString(uri.getScheme(), "").toLowerCase(Locale.ROOT)
        + "://"
        + Objects.toString(uri.getHost(), "").toLowerCase(Locale.ROOT)
        + ":"
        + port;
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName()
        + (message == null || message.isBlank() ? "" : ": " + message);
  }
}
