package io.proxyfleet.fleet;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.ProxyCredentials;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;

/** Ready-to-use connection URIs, the form clients and Telegram links expect. */
public final class ProxyUris {

  private ProxyUris() {}

  public static String uri(Protocol protocol, String ip, int port, ProxyCredentials c) {
    String host = ip.contains(":") ? "[" + ip + "]" : ip;
    return switch (protocol) {
      case SOCKS5 -> "socks5://" + enc(c.username()) + ":" + enc(c.password()) + "@" + host + ":" + port;
      case HTTP -> "http://" + enc(c.username()) + ":" + enc(c.password()) + "@" + host + ":" + port;
      // MTProto clients take a 16-byte hex secret; derive it from the password.
      case MTPROTO -> "tg://proxy?server=" + ip + "&port=" + port + "&secret=" + mtprotoSecret(c.password());
      case SHADOWSOCKS -> "ss://"
          + Base64.getUrlEncoder().withoutPadding().encodeToString(("chacha20-ietf-poly1305:" + c.password()).getBytes(StandardCharsets.UTF_8))
          + "@" + host + ":" + port;
    };
  }

  static String mtprotoSecret(String password) {
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
