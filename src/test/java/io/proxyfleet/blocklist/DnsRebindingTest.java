package io.proxyfleet.blocklist;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.block.format.BlocklistFormat;
import io.proxyfleet.testing.FeedServer;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DNS rebinding: a name that answers an allowed address to the check and a forbidden one to any
 * later lookup. The fetch must go to the address that was checked, on every hop. The names exist
 * only in the test's resolver, so a fetch that looked them up again through the system could not
 * reach the feed at all.
 */
class DnsRebindingTest {

  static FeedServer server;
  static final byte[] LIST = "203.0.113.0/24\n198.51.100.7\n".getBytes(StandardCharsets.US_ASCII);

  /** Answers 127.0.0.1 the first time a name is asked, then the cloud metadata address. */
  static final class RebindingResolver implements SourceAccess.Resolver {
    final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();
    final boolean badFirst;

    RebindingResolver(boolean badFirst) {
      this.badFirst = badFirst;
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
      if (!host.endsWith(".rebind.test")) {
        throw new UnknownHostException(host);
      }
      int n = asked.computeIfAbsent(host, h -> new AtomicInteger()).incrementAndGet();
      boolean bad = badFirst || n > 1;
      return new InetAddress[] {
        InetAddress.getByAddress(
            host,
            bad
                ? new byte[] {(byte) 169, (byte) 254, (byte) 169, (byte) 254}
                : new byte[] {127, 0, 0, 1})
      };
    }
  }

  @BeforeAll
  static void start() {
    server = new FeedServer();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static FetchRequest request(String url) {
    return new FetchRequest(
        "feed",
        "spec.sources[0]",
        URI.create(url),
        Optional.empty(),
        null,
        null,
        false,
        Duration.ofSeconds(10),
        1 << 20,
        BlocklistFormat.IP_LIST,
        null);
  }

  private static String named(String host, String path) {
    return server.url(path).replace("127.0.0.1", host);
  }

  @Test
  void theConnectionGoesToTheCheckedAddressNotToASecondAnswer() {
    server.content("/rebind.lst", LIST, null, null);
    RebindingResolver resolver = new RebindingResolver(false);
    HttpSourceFetcher fetcher =
        new HttpSourceFetcher(new SourceAccess("default", List.of("127.0.0.1/32")), resolver);
    FetchResult r = fetcher.fetch(request(named("feed.rebind.test", "/rebind.lst")));
    assertThat(r)
        .isInstanceOfSatisfying(
            FetchResult.Fetched.class, f -> assertThat(f.parsed().entries()).isEqualTo(2));
    assertThat(resolver.asked).containsOnlyKeys("feed.rebind.test");
    assertThat(resolver.asked.get("feed.rebind.test").get())
        .as("resolved once, by the check")
        .isEqualTo(1);
    assertThat(server.seen("/rebind.lst")).hasSize(1);
  }

  @Test
  void everyRedirectHopIsResolvedOnceAndConnectedToWhatWasChecked() {
    server.content("/final.lst", LIST, null, null);
    server.redirect("/first.lst", named("second.rebind.test", "/final.lst"));
    RebindingResolver resolver = new RebindingResolver(false);
    HttpSourceFetcher fetcher =
        new HttpSourceFetcher(new SourceAccess("default", List.of("127.0.0.1/32")), resolver);
    FetchResult r = fetcher.fetch(request(named("first.rebind.test", "/first.lst")));
    assertThat(r).isInstanceOf(FetchResult.Fetched.class);
    assertThat(resolver.asked).containsOnlyKeys("first.rebind.test", "second.rebind.test");
    assertThat(resolver.asked.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
  }

  @Test
  void aForbiddenFirstAnswerSendsNothing() {
    server.content("/never.lst", LIST, null, null);
    RebindingResolver resolver = new RebindingResolver(true);
    HttpSourceFetcher fetcher =
        new HttpSourceFetcher(new SourceAccess("default", List.of("127.0.0.1/32")), resolver);
    FetchResult r = fetcher.fetch(request(named("bad.rebind.test", "/never.lst")));
    assertThat(r)
        .isInstanceOfSatisfying(
            FetchResult.Failed.class,
            f -> {
              assertThat(f.failure().reason()).isEqualTo(FailureReason.DESTINATION_REFUSED);
              assertThat(f.failure().message()).contains("169.254.169.254");
            });
    assertThat(server.seen("/never.lst")).isEmpty();
  }
}
