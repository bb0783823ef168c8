package io.proxyfleet.operator;

import static io.proxyfleet.operator.Fixtures.apply;
import static io.proxyfleet.operator.Fixtures.fleet;
import static io.proxyfleet.operator.Fixtures.fleetReady;
import static io.proxyfleet.operator.Fixtures.ipsByName;
import static io.proxyfleet.operator.Fixtures.profile;
import static io.proxyfleet.operator.Fixtures.proxies;
import static io.proxyfleet.operator.Fixtures.running;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.BlocklistSourceStatus;
import io.proxyfleet.block.BlockIndexRegistry;
import io.proxyfleet.blocklist.BlocklistReconciler;
import io.proxyfleet.local.LocalEnvironment;
import io.proxyfleet.testing.FeedServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Blocklist sources end to end: the real operator against the embedded API, URL sources served by a
 * loopback HTTP server from the real samples in shared/data/rkn, ConfigMap sources, the guard.
 */
class BlocklistSourcesOperatorTest {

  static LocalEnvironment env;
  static KubernetesClient client;
  static BlockIndexRegistry registry;
  static FeedServer feeds;
  static final Map<String, Integer> publishes = new ConcurrentHashMap<>();
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  static final byte[] SUBNET = FeedServer.sample("antifilter_subnet.lst");
  static final byte[] IPSUM = FeedServer.sample("antifilter_ipsum.lst");
  static final byte[] COMMUNITY = FeedServer.sample("antifilter_community.lst");

  /** First line of antifilter_subnet.lst: an address the list blocks. */
  static final String SUBNET_FIRST =
      new String(SUBNET, StandardCharsets.US_ASCII).lines().findFirst().orElseThrow().split("/")[0];

  @BeforeAll
  static void start() {
    feeds = new FeedServer();
    env = Fixtures.start();
    client = env.client();
    registry = env.operator().registry();
    registry.addListener(name -> publishes.merge(name, 1, Integer::sum));
    apply(env, profile("local", 4, "0s"));
  }

  @AfterAll
  static void stop() {
    env.close();
    feeds.close();
  }

  static String urlList(String name, String path, String extra) {
    return """
        apiVersion: proxyfleet.io/v1alpha1
        kind: Blocklist
        metadata: {name: %s}
        spec:
          sources:
            - name: feed
              url: %s
        %s"""
        .formatted(name, feeds.url(path), extra.indent(6).stripTrailing() + "\n");
  }

  static Blocklist get(String name) {
    return client.resources(Blocklist.class).withName(name).get();
  }

  static Condition condition(String list, String type) {
    Blocklist b = get(list);
    return b == null || b.getStatus() == null
        ? null
        : b.getStatus().getConditions().stream()
            .filter(c -> type.equals(c.getType()))
            .findFirst()
            .orElse(null);
  }

  static boolean is(String list, String type, String status) {
    Condition c = condition(list, type);
    return c != null && status.equals(c.getStatus());
  }

  static BlocklistSourceStatus source(String list) {
    return get(list).getStatus().getSources().get(0);
  }

  static void annotate(String list, String key, String value) {
    client
        .resources(Blocklist.class)
        .withName(list)
        .edit(
            b -> {
              b.getMetadata().getAnnotations().put(key, value);
              return b;
            });
  }

  static void refresh(String list) {
    annotate(list, BlocklistReconciler.REFRESH_ANNOTATION, Long.toString(System.nanoTime()));
  }

  static boolean blocks(String list, String ip) {
    return registry.match(List.of(list), ip).isPresent();
  }

  @Test
  void aListFetchedFromAUrlMakesTheFleetRotateAProxyOnAListedIp() {
    feeds.content("/ipsum.lst", IPSUM, "\"ipsum-1\"", null);
    apply(env, urlList("url-list", "/ipsum.lst", ""));
    apply(
        env,
        fleet(
            "urlfleet", 4, "socks5", 1080, "local", List.of("local-61"), List.of("url-list"), ""));
    await()
        .atMost(TIMEOUT)
        .until(() -> fleetReady(client, "urlfleet", 4) && is("url-list", "Ready", "True"));
    assertThat(get("url-list").getStatus().getEntries()).isEqualTo(10_506);
    assertThat(get("url-list").getStatus().getIpv4Addresses()).isEqualTo(3_187_200);
    assertThat(source("url-list").getEtag()).isEqualTo("\"ipsum-1\"");

    Map<String, String> before = ipsByName(proxies(client, "urlfleet"));
    String range = "127.61.0.0/24";
    Set<String> affected =
        before.entrySet().stream()
            .filter(e -> FleetOperatorTest.inRange(e.getValue(), range))
            .map(Map.Entry::getKey)
            .collect(Collectors.toSet());
    assertThat(affected).as("one proxy per subnet, subnet 0 included").isNotEmpty();

    // The feed publishes a new version that lists the proxies' subnet.
    feeds.content(
        "/ipsum.lst",
        (new String(IPSUM, StandardCharsets.US_ASCII) + range + "\n").getBytes(),
        "\"ipsum-2\"",
        null);
    refresh("url-list");
    await()
        .atMost(TIMEOUT)
        .until(
            () -> {
              Map<String, String> now = ipsByName(running(client, "urlfleet"));
              return now.keySet().equals(before.keySet())
                  && affected.stream().noneMatch(n -> FleetOperatorTest.inRange(now.get(n), range));
            });
    assertThat(get("url-list").getStatus().getEntries()).isEqualTo(10_507);
    assertThat(source("url-list").getEtag()).isEqualTo("\"ipsum-2\"");
  }

  @Test
  void anUnchangedFeedAnswers304WithItsEtagAndNothingIsReparsedOrRepublished() {
    feeds.content("/etag.lst", SUBNET, "\"s-1\"", null);
    apply(env, urlList("etag-list", "/etag.lst", ""));
    await().atMost(TIMEOUT).until(() -> is("etag-list", "Ready", "True"));
    Blocklist first = get("etag-list");
    int published = publishes.getOrDefault("etag-list", 0);
    refresh("etag-list");
    await()
        .atMost(TIMEOUT)
        .until(() -> feeds.seen("/etag.lst").stream().anyMatch(s -> s.status() == 304));
    assertThat(feeds.seen("/etag.lst"))
        .filteredOn(s -> s.status() == 304)
        .first()
        .satisfies(s -> assertThat(s.ifNoneMatch()).isEqualTo("\"s-1\""));
    assertThat(feeds.seen("/etag.lst")).filteredOn(s -> s.status() == 200).hasSize(1);
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                source("etag-list").getLastSuccessTime() != null
                    && !feeds.seen("/etag.lst").isEmpty()
                    && is("etag-list", "Stale", "False"));
    Blocklist after = get("etag-list");
    assertThat(publishes.getOrDefault("etag-list", 0))
        .as("a 304 publishes nothing")
        .isEqualTo(published);
    assertThat(after.getStatus().getHash()).isEqualTo(first.getStatus().getHash());
    assertThat(after.getStatus().getLastChangeTime())
        .isEqualTo(first.getStatus().getLastChangeTime());
    assertThat(after.getStatus().getSources().get(0).getLastChangeTime())
        .isEqualTo(first.getStatus().getSources().get(0).getLastChangeTime());
  }

  @Test
  void lastModifiedIsSentBackAsIfModifiedSince() {
    String lm = "Mon, 12 Aug 2024 00:34:24 GMT";
    feeds.content("/lm.lst", SUBNET, null, lm);
    apply(env, urlList("lm-list", "/lm.lst", ""));
    await().atMost(TIMEOUT).until(() -> is("lm-list", "Ready", "True"));
    assertThat(source("lm-list").getLastModified()).isEqualTo(lm);
    refresh("lm-list");
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                feeds.seen("/lm.lst").stream()
                    .anyMatch(s -> s.status() == 304 && lm.equals(s.ifModifiedSince())));
  }

  @Test
  void aConfigMapEditIsPublishedAtOnceAndTheHashIgnoresSourceOrderAndFormat() {
    client
        .configMaps()
        .inNamespace("default")
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("manual-feed")
                .endMetadata()
                .addToData("list.txt", new String(SUBNET, StandardCharsets.US_ASCII))
                .addToBinaryData(
                    "community.gz", Base64.getEncoder().encodeToString(FeedServer.gzip(COMMUNITY)))
                .build())
        .create();
    apply(
        env,
        """
        apiVersion: proxyfleet.io/v1alpha1
        kind: Blocklist
        metadata: {name: cm-list}
        spec:
          sources:
            - {name: manual, configMap: {namespace: default, name: manual-feed, key: list.txt}}
            - {name: community, configMap: {namespace: default, name: manual-feed, key: community.gz}}
        """);
    await().atMost(TIMEOUT).until(() -> is("cm-list", "Ready", "True"));
    assertThat(get("cm-list").getStatus().getSources())
        .extracting(BlocklistSourceStatus::getEntries)
        .containsExactly(120, 688);
    assertThat(blocks("cm-list", "127.62.0.9")).isFalse();

    client
        .configMaps()
        .inNamespace("default")
        .withName("manual-feed")
        .edit(
            cm -> {
              cm.getData()
                  .put(
                      "list.txt",
                      new String(SUBNET, StandardCharsets.US_ASCII) + "127.62.0.0/24\n");
              return cm;
            });
    await().atMost(TIMEOUT).until(() -> blocks("cm-list", "127.62.0.9"));
    await()
        .atMost(TIMEOUT)
        .until(() -> get("cm-list").getStatus().getSources().get(0).getEntries() == 121);

    // The same ranges from another order and another carrier hash alike.
    feeds.content("/community.lst", COMMUNITY, null, null);
    apply(
        env,
        """
        apiVersion: proxyfleet.io/v1alpha1
        kind: Blocklist
        metadata: {name: cm-list-reordered}
        spec:
          cidrs: ["127.62.0.0/24"]
          sources:
            - {name: community, url: %s}
            - {name: manual, configMap: {namespace: default, name: manual-feed, key: list.txt}}
        """
            .formatted(feeds.url("/community.lst")));
    await().atMost(TIMEOUT).until(() -> is("cm-list-reordered", "Ready", "True"));
    assertThat(get("cm-list-reordered").getStatus().getHash())
        .isEqualTo(get("cm-list").getStatus().getHash());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "not-found, NotFound",
    "slow, Timeout",
    "endless, TooLarge",
    "html, ParseFailed",
    "truncated-gzip, ParseFailed",
    "utf-16, ParseFailed",
  })
  void aBrokenUpdateKeepsTheLastGoodVersionAndMarksTheListStale(String failure, String reason) {
    String list = "bad-" + failure;
    String path = "/" + list + ".lst";
    feeds.content(path, SUBNET, null, null);
    apply(env, urlList(list, path, "timeout: 2s\nmaxBytes: 1Mi"));
    await().atMost(TIMEOUT).until(() -> is(list, "Ready", "True"));
    long addresses = get(list).getStatus().getIpv4Addresses();
    assertThat(blocks(list, SUBNET_FIRST)).isTrue();
    long written = feeds.endlessBytesWritten();

    switch (failure) {
      case "not-found" -> feeds.status(path, 404, "<html>404</html>".getBytes());
      case "slow" -> feeds.slow(path, Duration.ofSeconds(5), SUBNET);
      case "endless" -> feeds.endless(path, 0);
      case "html" ->
          feeds.content(
              path,
              "<!DOCTYPE html>\n<html><body>Service Unavailable</body></html>\n".getBytes(),
              null,
              null);
      case "truncated-gzip" -> {
        byte[] gz = FeedServer.gzip(IPSUM);
        feeds.content(path, java.util.Arrays.copyOf(gz, gz.length / 2), null, null);
      }
      case "utf-16" ->
          feeds.content(
              path,
              new String(SUBNET, StandardCharsets.US_ASCII).getBytes(StandardCharsets.UTF_16),
              null,
              null);
      default -> throw new IllegalArgumentException(failure);
    }
    refresh(list);
    await().atMost(TIMEOUT).until(() -> is(list, "Stale", "True"));
    Condition stale = condition(list, "Stale");
    assertThat(stale.getReason()).isEqualTo(reason);
    assertThat(stale.getMessage())
        .contains("source feed")
        .contains("last good version stays in force");
    assertThat(get(list).getStatus().getIpv4Addresses()).isEqualTo(addresses);
    assertThat(source(list).getFailureReason()).isEqualTo(reason);
    assertThat(blocks(list, SUBNET_FIRST)).as("the last good version is still published").isTrue();
    assertThat(is(list, "Ready", "True")).isTrue();
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                Fixtures.events(client, list).stream().anyMatch(e -> reason.equals(e.getReason())));
    if (failure.equals("endless")) {
      long sent = feeds.endlessBytesWritten() - written;
      System.out.println(
          "endless feed: server wrote "
              + sent
              + " bytes before the operator hung up (maxBytes 1Mi)");
      assertThat(sent).as("bytes the server managed to write").isLessThan(64L << 20);
    }
  }

  @Test
  void theGuardHoldsAnUpdateToEverythingUntilItIsAcceptedByHash() {
    feeds.content("/guarded.lst", SUBNET, null, null);
    apply(env, urlList("guarded", "/guarded.lst", ""));
    await().atMost(TIMEOUT).until(() -> is("guarded", "Ready", "True"));
    String goodHash = get("guarded").getStatus().getHash();

    feeds.content(
        "/guarded.lst",
        ("0.0.0.0/0\n" + new String(SUBNET, StandardCharsets.US_ASCII)).getBytes(),
        null,
        null);
    refresh("guarded");
    await().atMost(TIMEOUT).until(() -> is("guarded", "Held", "True"));
    Blocklist held = get("guarded");
    String heldHash = held.getStatus().getHeld().getHash();
    assertThat(heldHash).isNotEqualTo(goodHash);
    assertThat(held.getStatus().getHash())
        .as("the previous version stays in force")
        .isEqualTo(goodHash);
    assertThat(held.getStatus().getHeld().getNewIpv4Addresses()).isEqualTo((1L << 32) - 802_852);
    assertThat(condition("guarded", "Held").getReason()).isEqualTo("SuspiciousUpdate");
    assertThat(condition("guarded", "Held").getMessage())
        .contains("0.0.0.0/0")
        .contains(
            "kubectl annotate blocklist guarded proxyfleet.io/accept-update="
                + heldHash
                + " --overwrite");
    assertThat(blocks("guarded", "8.8.8.8")).isFalse();
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                Fixtures.events(client, "guarded").stream()
                    .anyMatch(e -> "SuspiciousUpdate".equals(e.getReason())));

    annotate("guarded", BlocklistReconciler.ACCEPT_UPDATE_ANNOTATION, heldHash);
    await().atMost(TIMEOUT).until(() -> is("guarded", "Held", "False"));
    assertThat(blocks("guarded", "8.8.8.8")).isTrue();
    assertThat(get("guarded").getStatus().getHash()).isEqualTo(heldHash);
    assertThat(get("guarded").getStatus().getHeld()).isNull();
  }

  @Test
  void aFirstVersionThatBlocksEverythingIsNeverPublished() {
    apply(env, Fixtures.blocklist("guarded-first", List.of("0.0.0.0/0")));
    await().atMost(TIMEOUT).until(() -> is("guarded-first", "Held", "True"));
    assertThat(registry.isPublished("guarded-first")).isFalse();
    assertThat(condition("guarded-first", "Ready").getReason()).isEqualTo("Held");
    assertThat(condition("guarded-first", "Held").getMessage())
        .contains("Nothing is published for this list yet");
    // What a fleet makes of it: the list is reported missing; its proxies are checked against
    // nothing from it.
    apply(
        env,
        fleet(
            "heldfleet",
            1,
            "socks5",
            1080,
            "local",
            List.of("local-63"),
            List.of("guarded-first"),
            ""));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                "BlocklistNotFound"
                    .equals(
                        Fixtures.condition(
                            Fixtures.fleet(client, "heldfleet"),
                            "Degraded",
                            Condition::getReason)));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "heldfleet", 1));
  }

  @Test
  void theAuthorizationHeaderComesFromASecretAndNeverShowsInStatusOrEvents() {
    String token = "Bearer s3cr3t-t0ken-4711";
    feeds.content("/private.lst", SUBNET, "\"p\"", null, null, token);
    apply(
        env,
        urlList(
            "private",
            "/private.lst",
            "authSecret: {namespace: default, name: feed-auth, key: authorization}"));
    await().atMost(TIMEOUT).until(() -> is("private", "Stale", "True"));
    assertThat(condition("private", "Stale").getMessage())
        .contains("Secret default/feed-auth not found")
        .contains("spec.sources[0].authSecret");
    assertThat(feeds.seen("/private.lst")).as("no request without the header").isEmpty();

    client
        .secrets()
        .inNamespace("default")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("feed-auth")
                .endMetadata()
                .addToData(
                    "authorization",
                    Base64.getEncoder()
                        .encodeToString((token + "\n").getBytes(StandardCharsets.UTF_8)))
                .build())
        .create();
    refresh("private");
    await()
        .atMost(TIMEOUT)
        .until(() -> is("private", "Ready", "True") && is("private", "Stale", "False"));
    assertThat(feeds.seen("/private.lst"))
        .last()
        .satisfies(s -> assertThat(s.authorization()).isEqualTo(token));
    assertThat(Serialization.asJson(get("private"))).doesNotContain("s3cr3t");
    assertThat(Fixtures.events(client, "private"))
        .isNotEmpty()
        .allSatisfy(e -> assertThat(e.getMessage()).doesNotContain("s3cr3t"));
  }

  @Test
  void anAuthSecretFromAnotherNamespaceIsUsedOnlyWhenItOptsIn() {
    // The operator under test runs in "default" (no POD_NAMESPACE): "victim" is someone else's.
    String token = "Bearer victim-db-t0ken";
    feeds.content("/stolen.lst", SUBNET, "\"v\"", null, null, token);
    client
        .secrets()
        .inNamespace("victim")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("app-db")
                .withNamespace("victim")
                .endMetadata()
                .addToData(
                    "token",
                    Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8)))
                .build())
        .create();
    apply(
        env,
        urlList(
            "stealer", "/stolen.lst", "authSecret: {namespace: victim, name: app-db, key: token}"));
    await().atMost(TIMEOUT).until(() -> is("stealer", "Stale", "True"));
    assertThat(condition("stealer", "Stale").getMessage())
        .contains("Secret victim/app-db not found")
        .contains(io.proxyfleet.blocklist.SourceAccess.AUTH_SECRET_LABEL);
    assertThat(feeds.seen("/stolen.lst")).as("the value was never sent").isEmpty();

    client
        .secrets()
        .inNamespace("victim")
        .withName("app-db")
        .edit(
            sec -> {
              sec.getMetadata()
                  .setLabels(
                      java.util.Map.of(
                          io.proxyfleet.blocklist.SourceAccess.AUTH_SECRET_LABEL, "true"));
              return sec;
            });
    refresh("stealer");
    await()
        .atMost(TIMEOUT)
        .until(() -> is("stealer", "Ready", "True") && is("stealer", "Stale", "False"));
    assertThat(feeds.seen("/stolen.lst"))
        .last()
        .satisfies(seen -> assertThat(seen.authorization()).isEqualTo(token));
  }

  @Test
  void aSourceOverItsEntryLimitIsStaleTooLargeKeepsItsLastGoodVersionAndRefreshesAgain() {
    StringBuilder big = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      big.append("10.77.").append(i / 256).append('.').append(i % 256).append('\n');
    }
    feeds.content("/capped.lst", SUBNET, "\"c1\"", null);
    apply(env, urlList("capped", "/capped.lst", "maxEntries: 200"));
    await().atMost(TIMEOUT).until(() -> is("capped", "Ready", "True"));
    String goodHash = get("capped").getStatus().getHash();

    feeds.content("/capped.lst", big.toString().getBytes(StandardCharsets.UTF_8), "\"c2\"", null);
    refresh("capped");
    await().atMost(TIMEOUT).until(() -> is("capped", "Stale", "True"));
    assertThat(condition("capped", "Stale").getReason()).isEqualTo("TooLarge");
    assertThat(condition("capped", "Stale").getMessage())
        .contains("more than 200 values")
        .contains("spec.sources[0].maxEntries");
    assertThat(get("capped").getStatus().getHash())
        .as("last good version in force")
        .isEqualTo(goodHash);
    assertThat(blocks("capped", "10.77.0.5")).isFalse();

    // The source keeps its schedule: the refresh annotation fetches it again.
    byte[] grown =
        (new String(SUBNET, StandardCharsets.UTF_8) + "\n10.78.0.0/16\n")
            .getBytes(StandardCharsets.UTF_8);
    feeds.content("/capped.lst", grown, "\"c3\"", null);
    refresh("capped");
    await()
        .atMost(TIMEOUT)
        .until(() -> is("capped", "Stale", "False") && blocks("capped", "10.78.1.1"));
  }

  @Test
  void aFeedThatSuddenlyReturnsNothingIsHeldLikeAGrowthSpike() {
    feeds.content("/emptied.lst", SUBNET, "\"e1\"", null);
    apply(env, urlList("emptied", "/emptied.lst", ""));
    await().atMost(TIMEOUT).until(() -> is("emptied", "Ready", "True"));
    String goodHash = get("emptied").getStatus().getHash();

    feeds.content("/emptied.lst", new byte[0], "\"e2\"", null);
    refresh("emptied");
    await().atMost(TIMEOUT).until(() -> is("emptied", "Held", "True"));
    assertThat(condition("emptied", "Held").getMessage())
        .contains("spec.guard.maxShrinkPercent")
        .contains("to 0 IPv4 addresses");
    assertThat(get("emptied").getStatus().getHash())
        .as("the previous version stays in force")
        .isEqualTo(goodHash);
    assertThat(Fixtures.events(client, "emptied"))
        .anyMatch(
            e -> "Warning".equals(e.getType()) && e.getMessage().contains("maxShrinkPercent"));

    // An engineer who knows the list really is empty now accepts it by its hash.
    String heldHash = get("emptied").getStatus().getHeld().getHash();
    annotate("emptied", BlocklistReconciler.ACCEPT_UPDATE_ANNOTATION, heldHash);
    await().atMost(TIMEOUT).until(() -> heldHash.equals(get("emptied").getStatus().getHash()));
  }
}
