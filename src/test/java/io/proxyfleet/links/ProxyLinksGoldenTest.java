package io.proxyfleet.links;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.FakeTlsSecret;
import io.proxyfleet.cloud.ProxyCredentials;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden file {@code src/test/resources/links/golden.txt}: every link format against hand-written
 * expected links. Each expected link is also decoded with the JDK alone (URI, URLDecoder, base64,
 * hex) and its fields compared with the case's inputs, so a wrong golden line cannot pass
 * unnoticed.
 */
class ProxyLinksGoldenTest {

  record Case(String title, Map<String, String> fields, List<String> links) {
    @Override
    public String toString() {
      return title;
    }
  }

  static Stream<Case> cases() throws IOException {
    List<Case> cases = new ArrayList<>();
    Map<String, String> fields = null;
    List<String> links = null;
    for (String line :
        Files.readAllLines(
            Path.of("src/test/resources/links/golden.txt"), StandardCharsets.UTF_8)) {
      if (line.startsWith("#") || line.isBlank()) continue;
      String key = line.substring(0, line.indexOf(':'));
      String value = line.substring(line.indexOf(':') + 2);
      if (key.equals("case")) {
        fields = new LinkedHashMap<>();
        links = new ArrayList<>();
        cases.add(new Case(value, fields, links));
      } else if (key.equals("link")) {
        links.add(value);
      } else {
        fields.put(key, value);
      }
    }
    assertThat(cases).hasSizeGreaterThanOrEqualTo(8);
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void linksMatchTheGoldenFileAndDecodeToTheirInputs(Case c) {
    Map<String, String> f = c.fields();
    Protocol protocol = Protocol.fromWireName(f.get("protocol")).orElseThrow();
    ProxyCredentials credentials =
        new ProxyCredentials(
            f.get("username"),
            f.get("password"),
            f.containsKey("key") ? new FakeTlsSecret(f.get("key"), f.get("domain")) : null);
    int port = Integer.parseInt(f.get("port"));
    assertThat(ProxyLinks.links(protocol, f.get("name"), f.get("ip"), port, credentials))
        .containsExactlyElementsOf(c.links());
    for (String link : c.links()) {
      URI uri = URI.create(link);
      switch (protocol) {
        case SOCKS5 -> {
          Map<String, String> q = query(uri);
          assertThat(q)
              .containsExactly(
                  Map.entry("server", f.get("ip")),
                  Map.entry("port", f.get("port")),
                  Map.entry("user", f.get("username")),
                  Map.entry("pass", f.get("password")));
          assertThat(link)
              .startsWith(uri.getScheme().equals("tg") ? "tg://socks?" : "https://t.me/socks?");
        }
        case MTPROTO -> {
          Map<String, String> q = query(uri);
          assertThat(q)
              .containsOnlyKeys("server", "port", "secret")
              .containsEntry("server", f.get("ip"))
              .containsEntry("port", f.get("port"));
          String secret = q.get("secret");
          assertThat(secret).startsWith("ee");
          assertThat(secret.substring(2, 34)).isEqualTo(f.get("key"));
          assertThat(
                  new String(
                      HexFormat.of().parseHex(secret.substring(34)), StandardCharsets.US_ASCII))
              .isEqualTo(f.get("domain"));
          assertThat(link)
              .startsWith(uri.getScheme().equals("tg") ? "tg://proxy?" : "https://t.me/proxy?");
        }
        case SHADOWSOCKS -> {
          assertThat(uri.getScheme()).isEqualTo("ss");
          assertThat(uri.getHost()).isEqualTo(f.get("ip"));
          assertThat(uri.getPort()).isEqualTo(port);
          assertThat(uri.getFragment()).isEqualTo(f.get("name"));
          assertThat(uri.getRawUserInfo()).doesNotContain("=");
          assertThat(
                  new String(
                      Base64.getUrlDecoder().decode(uri.getRawUserInfo()), StandardCharsets.UTF_8))
              .isEqualTo(ProxyLinks.SHADOWSOCKS_METHOD + ":" + f.get("password"));
        }
        case HTTP -> {
          assertThat(uri.getScheme()).isEqualTo("http");
          assertThat(uri.getHost()).isEqualTo(f.get("ip"));
          assertThat(uri.getPort()).isEqualTo(port);
          assertThat(uri.getUserInfo()).isEqualTo(f.get("username") + ":" + f.get("password"));
        }
      }
    }
  }

  static Map<String, String> query(URI uri) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : uri.getRawQuery().split("&")) {
      String[] kv = pair.split("=", 2);
      out.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
    }
    return out;
  }
}
