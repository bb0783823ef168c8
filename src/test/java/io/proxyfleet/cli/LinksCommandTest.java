package io.proxyfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.zxing.BinaryBitmap;
import com.google.zxing.RGBLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import io.fabric8.kubernetes.api.model.Secret;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.local.LocalEnvironment;
import io.proxyfleet.operator.OperatorSettings;
import io.proxyfleet.testing.OriginServer;
import io.proxyfleet.testing.ProxyClients;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code proxyfleet links} against a real endpoints Secret: local mode (embedded API, operator,
 * loopback SOCKS5 proxies) runs the README's example fleet, and the command reads the Secret
 * through a kubeconfig like kubectl, or a saved copy. The links it prints carry traffic; its QR
 * codes and PNGs decode back to the links. The same run checks that the credentials never reach
 * logs, events or status.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LinksCommandTest {

  static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir static Path tmp;

  LocalEnvironment env;
  OriginServer origin;
  Path kubeconfig;
  final ByteArrayOutputStream logs = new ByteArrayOutputStream();
  PrintStream stderr;

  @BeforeAll
  void startLocalMode() throws Exception {
    // slf4j-simple looks System.err up on every line: this captures every log line of the run.
    stderr = System.err;
    System.setErr(new PrintStream(new TeeStream(stderr, logs), true, StandardCharsets.UTF_8));
    env =
        LocalEnvironment.start(
            "127.0.0.1",
            0,
            new OperatorSettings(
                "links-test",
                10,
                8,
                Clock.systemUTC(),
                new SplittableRandom(3),
                new SplittableRandom(5),
                new io.proxyfleet.blocklist.SourceAccess("default", OperatorSettings.LOOPBACK)));
    env.apply(Path.of("examples/local"));
    await().atMost(TIMEOUT).until(() -> endpoints().size() == 6);
    kubeconfig = tmp.resolve("kubeconfig");
    env.api().writeKubeconfig(kubeconfig);
    origin = OriginServer.onLoopback();
  }

  @AfterAll
  void stop() {
    if (origin != null) origin.close();
    if (env != null) env.close();
    System.setErr(stderr);
  }

  List<JsonNode> endpoints() throws Exception {
    Secret s = env.client().secrets().inNamespace("default").withName("demo-endpoints").get();
    if (s == null) return List.of();
    List<JsonNode> out = new ArrayList<>();
    new ObjectMapper()
        .readTree(Base64.getDecoder().decode(s.getData().get("endpoints.json")))
        .forEach(out::add);
    return out;
  }

  @Test
  void printsTheTelegramLinksOfTheFleetAndTheyCarryTraffic() throws Exception {
    CliRun run = CliRun.of("links", "--kubeconfig", kubeconfig.toString(), "demo");
    assertThat(run.exitCode()).as(run.err()).isZero();
    List<String> lines = run.out().lines().toList();
    assertThat(lines.get(0))
        .startsWith("NAME")
        .contains("REGION")
        .contains("PROTOCOL")
        .contains("LINK");
    List<String> links =
        lines.stream().skip(1).map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList();
    assertThat(links).hasSize(12);
    assertThat(links.stream().filter(l -> l.startsWith("tg://socks?"))).hasSize(6);
    assertThat(links.stream().filter(l -> l.startsWith("https://t.me/socks?"))).hasSize(6);
    for (String link : links.stream().filter(l -> l.startsWith("tg://")).toList()) {
      Map<String, String> q = query(link);
      URI proxy =
          URI.create(
              "socks5://"
                  + URLEncoder.encode(q.get("user"), StandardCharsets.UTF_8)
                  + ":"
                  + URLEncoder.encode(q.get("pass"), StandardCharsets.UTF_8)
                  + "@"
                  + q.get("server")
                  + ":"
                  + q.get("port"));
      assertThat(ProxyClients.get(proxy, "http://127.0.0.1:" + origin.port() + "/hello"))
          .as(link)
          .isEqualTo(OriginServer.BODY);
    }
    // The Secret's subscription list is the same set of links, one per line.
    Secret secret = env.client().secrets().inNamespace("default").withName("demo-endpoints").get();
    String subscription =
        new String(
            Base64.getDecoder().decode(secret.getData().get("subscription.txt")),
            StandardCharsets.UTF_8);
    assertThat(subscription.lines().toList()).containsExactlyInAnyOrderElementsOf(links);
  }

  @Test
  void namespaceAndMissingFleetsAreReportedLikeKubectl() {
    assertThat(
            CliRun.of("links", "--kubeconfig", kubeconfig.toString(), "-n", "default", "demo")
                .exitCode())
        .isZero();
    CliRun elsewhere =
        CliRun.of("links", "--kubeconfig", kubeconfig.toString(), "--namespace", "other", "demo");
    assertThat(elsewhere.exitCode()).isEqualTo(1);
    assertThat(elsewhere.err()).contains("Secret other/demo-endpoints not found");
    CliRun missing = CliRun.of("links", "--kubeconfig", kubeconfig.toString(), "nosuch");
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).contains("default/nosuch-endpoints");
  }

  @Test
  void readsASavedCopyFilteredByRegionAndProtocolAsJson() throws Exception {
    Path saved = tmp.resolve("endpoints.json");
    Secret secret = env.client().secrets().inNamespace("default").withName("demo-endpoints").get();
    Files.write(saved, Base64.getDecoder().decode(secret.getData().get("endpoints.json")));
    long inRegion =
        endpoints().stream().filter(e -> e.get("region").asText().equals("local-1")).count();
    CliRun run =
        CliRun.of(
            "links",
            "--file",
            saved.toString(),
            "--region",
            "local-1",
            "--protocol",
            "socks5",
            "--output",
            "json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode json = new ObjectMapper().readTree(run.out());
    assertThat(json).hasSize((int) inRegion);
    assertThat(inRegion).isBetween(1L, 5L);
    json.forEach(
        p -> {
          assertThat(p.get("region").asText()).isEqualTo("local-1");
          assertThat(p.get("links")).hasSize(2);
          assertThat(p.get("links").get(0).asText())
              .startsWith("tg://socks?server=" + p.get("ip").asText() + "&port=1080&");
        });
    CliRun none = CliRun.of("links", "--file", saved.toString(), "--protocol", "mtproto");
    assertThat(none.exitCode()).isZero();
    assertThat(none.out().lines()).hasSize(1);
  }

  @Test
  void qrCodesInTheTerminalAndAsPngDecodeToTheLinks() throws Exception {
    CliRun run =
        CliRun.of(
            "links", "--kubeconfig", kubeconfig.toString(), "--region", "local-2", "--qr", "demo");
    assertThat(run.exitCode()).as(run.err()).isZero();
    List<String> printedLinks = new ArrayList<>();
    List<String> decoded = new ArrayList<>();
    List<String> lines = run.out().lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains("://")) {
        printedLinks.add(lines.get(i).substring(lines.get(i).lastIndexOf(' ') + 1));
        List<String> code = new ArrayList<>();
        for (int j = i + 1; j < lines.size() && !lines.get(j).isEmpty(); j++)
          code.add(lines.get(j));
        decoded.add(decodeTerminal(code));
      }
    }
    assertThat(printedLinks).isNotEmpty();
    assertThat(decoded).isEqualTo(printedLinks);

    Path dir = tmp.resolve("png");
    CliRun png =
        CliRun.of("links", "--kubeconfig", kubeconfig.toString(), "--png", dir.toString(), "demo");
    assertThat(png.exitCode()).as(png.err()).isZero();
    assertThat(png.err()).contains("wrote 12 PNG files");
    List<String> fromPng = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.sorted().toList()) {
        assertThat(f.getFileName().toString()).matches("demo-[a-z0-9]{5}-[12]\\.png");
        BufferedImage image = ImageIO.read(f.toFile());
        fromPng.add(
            decode(
                image.getWidth(),
                image.getHeight(),
                (x, y) -> (image.getRGB(x, y) & 0xFFFFFF) == 0));
      }
    }
    List<String> all =
        png.out().lines().skip(1).map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList();
    assertThat(fromPng).containsExactlyInAnyOrderElementsOf(all);
  }

  @Test
  void usageErrorsExitTwo() {
    assertThat(CliRun.of("links").exitCode()).isEqualTo(2);
    assertThat(CliRun.of("links", "--file", "x.json", "demo").exitCode()).isEqualTo(2);
    CliRun badProtocol = CliRun.of("links", "--file", "x.json", "--protocol", "ftp");
    assertThat(badProtocol.exitCode()).isEqualTo(2);
    assertThat(badProtocol.err()).contains("'ftp' is not a protocol");
    assertThat(CliRun.of("links", "--file", "x.json", "--qr", "-o", "json").exitCode())
        .isEqualTo(2);
    assertThat(CliRun.of("links", "--file", "x.json", "-o", "yaml").exitCode()).isEqualTo(2);
    CliRun unreadable = CliRun.of("links", "--file", tmp.resolve("absent.json").toString());
    assertThat(unreadable.exitCode()).isEqualTo(1);
  }

  @Test
  void credentialsNeverReachLogsEventsOrStatus() throws Exception {
    Secret credentials =
        env.client().secrets().inNamespace("default").withName("demo-credentials").get();
    String password =
        new String(
            Base64.getDecoder().decode(credentials.getData().get("password")),
            StandardCharsets.UTF_8);
    assertThat(password).hasSize(32);
    // Something happened worth logging: the proxies were launched and published.
    assertThat(endpoints()).hasSize(6);
    ObjectMapper json = new ObjectMapper();
    String events =
        json.writeValueAsString(env.client().v1().events().inAnyNamespace().list().getItems());
    assertThat(events).contains("LaunchingProxy").doesNotContain(password);
    ProxyFleet fleet =
        env.client().resources(ProxyFleet.class).inNamespace("default").withName("demo").get();
    assertThat(json.writeValueAsString(fleet.getStatus()))
        .contains("demo-endpoints")
        .doesNotContain(password);
    for (Proxy p : env.client().resources(Proxy.class).inNamespace("default").list().getItems()) {
      assertThat(json.writeValueAsString(p)).doesNotContain(password);
    }
    String logText = logs.toString(StandardCharsets.UTF_8);
    assertThat(logText).as("the operator logged during the run").isNotEmpty();
    assertThat(logText).doesNotContain(password);
  }

  @Test
  void credentialsALinkCannotCarryAreDegradedOnTheFieldWithoutShowingThem() throws Exception {
    env.client()
        .secrets()
        .resource(
            new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata()
                .withName("tab-creds")
                .withNamespace("default")
                .endMetadata()
                .addToStringData("username", "pf-tab")
                .addToStringData("password", "tab\there-Secret123")
                .build())
        .create();
    env.apply(
        new java.io.ByteArrayInputStream(
            """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: tabbed, namespace: default}
        spec:
          replicas: 1
          protocol: socks5
          port: 1080
          placement: [{cloudProfile: local, regions: [local-1]}]
          blocklists: [manual]
          credentialsSecret: tab-creds
        """
                .getBytes(StandardCharsets.UTF_8)));
    await()
        .atMost(TIMEOUT)
        .until(() -> degradedMessage("tabbed").contains("cannot be encoded in a link"));
    assertThat(degradedMessage("tabbed"))
        .startsWith("spec.credentialsSecret: key 'password' of Secret 'tab-creds'")
        .contains("printable ASCII")
        .doesNotContain("here-Secret123");
    assertThat(
            env.client()
                .resources(Proxy.class)
                .inNamespace("default")
                .withLabel("proxyfleet.io/fleet", "tabbed")
                .list()
                .getItems())
        .isEmpty();
    assertThat(
            new ObjectMapper()
                .writeValueAsString(env.client().v1().events().inAnyNamespace().list().getItems()))
        .doesNotContain("here-Secret123");
  }

  String degradedMessage(String fleet) {
    ProxyFleet f =
        env.client().resources(ProxyFleet.class).inNamespace("default").withName(fleet).get();
    if (f == null || f.getStatus() == null) return "";
    return f.getStatus().getConditions().stream()
        .filter(c -> c.getType().equals("Degraded") && c.getStatus().equals("True"))
        .map(c -> c.getMessage())
        .findFirst()
        .orElse("");
  }

  interface Pixels {
    boolean dark(int x, int y);
  }

  /** Reads a terminal QR code back (light modules drawn as blocks, two rows per line). */
  static String decodeTerminal(List<String> lines) throws Exception {
    int width = lines.get(0).length();
    int height = lines.size() * 2;
    return decode(
        width * 4,
        height * 4,
        (x, y) -> {
          char c = lines.get(y / 8).charAt(x / 4);
          boolean top = (y / 4) % 2 == 0;
          boolean light = c == '█' || (top ? c == '▀' : c == '▄');
          return !light;
        });
  }

  static String decode(int width, int height, Pixels pixels) throws Exception {
    int[] rgb = new int[width * height];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        rgb[y * width + x] = pixels.dark(x, y) ? 0xFF000000 : 0xFFFFFFFF;
      }
    }
    return new QRCodeReader()
        .decode(new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(width, height, rgb))))
        .getText();
  }

  static Map<String, String> query(String link) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : URI.create(link).getRawQuery().split("&")) {
      String[] kv = pair.split("=", 2);
      out.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
    }
    return out;
  }

  /** Writes to two streams: the console keeps its output, the test keeps a copy. */
  static final class TeeStream extends java.io.OutputStream {
    private final java.io.OutputStream a;
    private final java.io.OutputStream b;

    TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public synchronized void write(int c) throws java.io.IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public synchronized void write(byte[] buf, int off, int len) throws java.io.IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }
  }
}
