package io.proxyfleet.links;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.FakeTlsSecret;
import io.proxyfleet.cloud.ProxyCredentials;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Golden tests of every link format. The expected strings were written by hand from the formats'
 * definitions (Telegram's tg://socks and tg://proxy, SIP002) and checked by decoding them back with
 * code independent of ProxyLinks: java.net.URI, URLDecoder and the JDK's base64.
 */
class ProxyLinksTest {

  static final ProxyCredentials PLAIN = new ProxyCredentials("pf-user", "Zx9QwErT");
  // Every character a link must escape: reserved, percent, plus, space, quote, backslash.
  static final ProxyCredentials NASTY = new ProxyCredentials("pf-user", "p@ss:w/rd#1&x=y?+ %\"\\");
  // ee + 16 bytes (0x00..0x0f) + hex("www.example.com").
  static final FakeTlsSecret FAKE_TLS =
      new FakeTlsSecret("000102030405060708090a0b0c0d0e0f", "www.example.com");

  @Test
  void socks5GetsTelegramsSocksPair() {
    List<String> links =
        ProxyLinks.links(Protocol.SOCKS5, "demo-abcde", "198.51.100.7", 1080, PLAIN);
    assertThat(links)
        .containsExactly(
            "tg://socks?server=198.51.100.7&port=1080&user=pf-user&pass=Zx9QwErT",
            "https://t.me/socks?server=198.51.100.7&port=1080&user=pf-user&pass=Zx9QwErT");
  }

  @Test
  void socks5LinksEncodeEveryReservedCharacterAndDecodeBack() {
    List<String> links =
        ProxyLinks.links(Protocol.SOCKS5, "demo-abcde", "198.51.100.7", 443, NASTY);
    assertThat(links.get(0))
        .isEqualTo(
            "tg://socks?server=198.51.100.7&port=443&user=pf-user&pass=p%40ss%3Aw%2Frd%231%26x%3Dy%3F%2B%20%25%22%5C");
    for (String link : links) {
      Map<String, String> q = query(link);
      assertThat(q)
          .containsEntry("server", "198.51.100.7")
          .containsEntry("port", "443")
          .containsEntry("user", "pf-user")
          .containsEntry("pass", NASTY.password())
          .hasSize(4);
    }
    assertThat(URI.create(links.get(1)).getHost()).isEqualTo("t.me");
    assertThat(URI.create(links.get(1)).getPath()).isEqualTo("/socks");
  }

  @Test
  void mtprotoGetsFakeTlsSecretsThatNameTheDomain() {
    ProxyCredentials c = PLAIN.withFakeTls(FAKE_TLS);
    String secret = "ee000102030405060708090a0b0c0d0e0f7777772e6578616d706c652e636f6d";
    assertThat(ProxyLinks.links(Protocol.MTPROTO, "mt-1", "203.0.113.9", 443, c))
        .containsExactly(
            "tg://proxy?server=203.0.113.9&port=443&secret=" + secret,
            "https://t.me/proxy?server=203.0.113.9&port=443&secret=" + secret);
    assertThat(ProxyLinks.uri(Protocol.MTPROTO, "203.0.113.9", 443, c))
        .isEqualTo("tg://proxy?server=203.0.113.9&port=443&secret=" + secret);
    FakeTlsSecret back =
        FakeTlsSecret.parse(
            query(ProxyLinks.links(Protocol.MTPROTO, "mt-1", "203.0.113.9", 443, c).get(1))
                .get("secret"));
    assertThat(back.key()).isEqualTo(FAKE_TLS.key());
    assertThat(back.domain()).isEqualTo("www.example.com");
    assertThatThrownBy(() -> ProxyLinks.links(Protocol.MTPROTO, "mt-1", "203.0.113.9", 443, PLAIN))
        .hasMessageContaining("FakeTLS");
  }

  @Test
  void shadowsocksGetsSip002WithBase64UrlUserinfo() {
    // base64url("chacha20-ietf-poly1305:Zx9QwErT"), padding removed, worked out by hand and by
    // `base64 | tr`.
    assertThat(ProxyLinks.links(Protocol.SHADOWSOCKS, "ss-a b", "192.0.2.1", 8388, PLAIN))
        .containsExactly("ss://Y2hhY2hhMjAtaWV0Zi1wb2x5MTMwNTpaeDlRd0VyVA@192.0.2.1:8388#ss-a%20b");
    String link = ProxyLinks.links(Protocol.SHADOWSOCKS, "ss-1", "192.0.2.1", 8388, NASTY).get(0);
    URI uri = URI.create(link);
    assertThat(uri.getScheme()).isEqualTo("ss");
    assertThat(uri.getHost()).isEqualTo("192.0.2.1");
    assertThat(uri.getPort()).isEqualTo(8388);
    assertThat(uri.getFragment()).isEqualTo("ss-1");
    String userInfo =
        new String(Base64.getUrlDecoder().decode(uri.getRawUserInfo()), StandardCharsets.UTF_8);
    assertThat(userInfo).isEqualTo(ProxyLinks.SHADOWSOCKS_METHOD + ":" + NASTY.password());
    assertThat(uri.getRawUserInfo()).doesNotContain("=").doesNotContain("+").doesNotContain("/");
  }

  @Test
  void httpPublishesItsUriAsTheLink() {
    assertThat(ProxyLinks.links(Protocol.HTTP, "h", "192.0.2.1", 8080, PLAIN))
        .containsExactly("http://pf-user:Zx9QwErT@192.0.2.1:8080");
  }

  @Test
  void subscriptionIsOneLinkPerLine() {
    assertThat(ProxyLinks.subscription(List.of("tg://a", "ss://b"))).isEqualTo("tg://a\nss://b\n");
    assertThat(ProxyLinks.subscription(List.of())).isEmpty();
  }

  @Test
  void unencodableCredentialsAreNamed() {
    assertThat(ProxyLinks.unencodable("fine & dandy")).isNull();
    assertThat(ProxyLinks.unencodable("line\nbreak")).contains("printable ASCII");
    assertThat(ProxyLinks.unencodable("пароль")).contains("printable ASCII");
    assertThat(ProxyLinks.unencodable("x".repeat(256))).contains("255");
    assertThat(ProxyLinks.unencodable("")).contains("empty");
  }

  @Test
  void fakeTlsSecretsRefuseBadDomainsAndNeverPrint() {
    assertThat(FakeTlsSecret.validDomain("www.example.com")).isTrue();
    assertThat(FakeTlsSecret.validDomain("cdn-1.example.co.uk")).isTrue();
    for (String bad :
        new String[] {
          "1.2.3.4",
          "localhost",
          "Example.com",
          "-a.com",
          "a..com",
          "a.com.",
          "exa mple.com",
          "a_b.com",
          "a".repeat(64) + ".com",
          ("a".repeat(60) + ".").repeat(5) + "com"
        }) {
      assertThat(FakeTlsSecret.validDomain(bad)).as(bad).isFalse();
    }
    assertThat(FAKE_TLS.toString()).doesNotContain(FAKE_TLS.key());
    assertThat(PLAIN.withFakeTls(FAKE_TLS).toString())
        .doesNotContain(FAKE_TLS.key())
        .doesNotContain(PLAIN.password());
    assertThatThrownBy(() -> new FakeTlsSecret("00", "www.example.com"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FakeTlsSecret.parse("dd000102030405060708090a0b0c0d0e0f"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void uriEncodesCredentialsSoEveryPasswordSurvives() {
    ProxyCredentials c = new ProxyCredentials("pf-user", "p@ss:w/rd#1");
    String uri = ProxyLinks.uri(Protocol.SOCKS5, "127.1.0.5", 1080, c);
    assertThat(uri).isEqualTo("socks5://pf-user:p%40ss%3Aw%2Frd%231@127.1.0.5:1080");
    URI parsed = URI.create(uri);
    assertThat(parsed.getHost()).isEqualTo("127.1.0.5");
    assertThat(parsed.getPort()).isEqualTo(1080);
    assertThat(parsed.getUserInfo()).isEqualTo("pf-user:p@ss:w/rd#1");
    assertThat(ProxyLinks.uri(Protocol.HTTP, "2001:db8::1", 443, new ProxyCredentials("u", "a b")))
        .as("a space is %20 in userinfo, never +")
        .isEqualTo("http://u:a%20b@[2001:db8::1]:443");
  }

  @Test
  void credentialsNeverPrint() {
    assertThat(new ProxyCredentials("u", "hunter2").toString()).doesNotContain("hunter2");
  }

  /** Query parameters decoded with the JDK: what a client's parser sees. */
  static Map<String, String> query(String link) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : URI.create(link).getRawQuery().split("&")) {
      String[] kv = pair.split("=", 2);
      out.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
    }
    return out;
  }
}
