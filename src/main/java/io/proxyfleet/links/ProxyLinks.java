package io.proxyfleet.links;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.FakeTlsSecret;
import io.proxyfleet.cloud.ProxyCredentials;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * The connection URI and the client links of one proxy.
 *
 * <p>Every value from outside is percent-encoded with RFC 3986's unreserved set only, so a password
 * holding {@code & = # + %} or a space survives any client's query parser ({@code +} is not used
 * for space: Telegram and userinfo parsers read it literally).
 */
public final class ProxyLinks {

  /**
   * Cipher of Shadowsocks proxies. chacha20-ietf-poly1305: AEAD (SIP004), supported by every
   * maintained client (Outline, shadowsocks-android/windows, v2rayN, sing-box) and by Debian's
   * shadowsocks-libev; fast on VMs without AES instructions. The 2022-blake3 methods resist replay
   * better but need shadowsocks-rust, which Debian does not ship, and many clients lack them. The
   * key is derived from the password (EVP_BytesToKey, 32 bytes), so any password length is valid.
   */
  public static final String SHADOWSOCKS_METHOD = "chacha20-ietf-poly1305";

  private ProxyLinks() {}

  /** The one URI the endpoints list has always carried per proxy. */
  public static String uri(Protocol protocol, String ip, int port, ProxyCredentials c) {
    String host = ip.contains(":") ? "[" + ip + "]" : ip;
    return switch (protocol) {
      case SOCKS5 ->
          "socks5://" + encode(c.username()) + ":" + encode(c.password()) + "@" + host + ":" + port;
      case HTTP ->
          "http://" + encode(c.username()) + ":" + encode(c.password()) + "@" + host + ":" + port;
      case MTPROTO -> telegramProxy("tg://proxy", ip, port, fakeTls(c));
      case SHADOWSOCKS -> shadowsocks(ip, port, c.password(), null);
    };
  }

  /**
   * The links a client imports, best first: Telegram's pair for socks5 and mtproto (the {@code
   * tg://} one opens the app, the {@code https://t.me} one works from a browser or a chat message),
   * SIP002 for shadowsocks, the URI itself for http (Telegram has no HTTP proxy link).
   */
  public static List<String> links(
      Protocol protocol, String name, String ip, int port, ProxyCredentials c) {
    return switch (protocol) {
      case SOCKS5 ->
          List.of(
              telegramSocks("tg://socks", ip, port, c),
              telegramSocks("https://t.me/socks", ip, port, c));
      case MTPROTO ->
          List.of(
              telegramProxy("tg://proxy", ip, port, fakeTls(c)),
              telegramProxy("https://t.me/proxy", ip, port, fakeTls(c)));
      case SHADOWSOCKS -> List.of(shadowsocks(ip, port, c.password(), name));
      case HTTP -> List.of(uri(protocol, ip, port, c));
    };
  }

  /** Every link one per line, ending in a newline: the list format subscription clients import. */
  public static String subscription(List<String> links) {
    StringBuilder out = new StringBuilder();
    for (String link : links) {
      out.append(link).append('\n');
    }
    return out.toString();
  }

  /**
   * Why a value cannot travel in a link, or null. Links take any printable ASCII (it is encoded);
   * control characters and non-ASCII would decode differently across clients, and SOCKS5 carries at
   * most 255 bytes per field (RFC 1929).
   */
  public static String unencodable(String value) {
    if (value == null || value.isEmpty()) return "is empty";
    if (value.length() > 255) return "is longer than 255 characters";
    if (!value.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f))
      return "holds characters other than printable ASCII";
    return null;
  }

  private static String telegramSocks(String base, String ip, int port, ProxyCredentials c) {
    return base
        + "?server="
        + encode(ip)
        + "&port="
        + port
        + "&user="
        + encode(c.username())
        + "&pass="
        + encode(c.password());
  }

  private static String telegramProxy(String base, String ip, int port, FakeTlsSecret secret) {
    return base + "?server=" + encode(ip) + "&port=" + port + "&secret=" + secret.clientSecret();
  }

  // SIP002: userinfo is base64url(method:password) without padding; the tag names the proxy.
  private static String shadowsocks(String ip, int port, String password, String tag) {
    String host = ip.contains(":") ? "[" + ip + "]" : ip;
    String userInfo =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString((SHADOWSOCKS_METHOD + ":" + password).getBytes(StandardCharsets.UTF_8));
    return "ss://" + userInfo + "@" + host + ":" + port + (tag == null ? "" : "#" + encode(tag));
  }

  private static FakeTlsSecret fakeTls(ProxyCredentials c) {
    if (c.fakeTls() == null) {
      throw new IllegalArgumentException("an mtproto proxy needs its FakeTLS secret");
    }
    return c.fakeTls();
  }

  /** RFC 3986 percent-encoding of everything but the unreserved characters, over UTF-8. */
  static String encode(String value) {
    StringBuilder out = new StringBuilder();
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      int ch = b & 0xff;
      if ((ch >= 'A' && ch <= 'Z')
          || (ch >= 'a' && ch <= 'z')
          || (ch >= '0' && ch <= '9')
          || ch == '-'
          || ch == '.'
          || ch == '_'
          || ch == '~') {
        out.append((char) ch);
      } else {
        out.append('%')
            .append(Character.toUpperCase(Character.forDigit(ch >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(ch & 15, 16)));
      }
    }
    return out.toString();
  }
}
