package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The proxy protocol a fleet serves. Every protocol requires client authentication. */
public enum Protocol {
  /** SOCKS5 with username/password authentication (RFC 1928, RFC 1929). */
  @JsonProperty("socks5")
  SOCKS5("socks5"),
  /** HTTP proxy (CONNECT tunnels and absolute-form requests) with Basic proxy authentication. */
  @JsonProperty("http")
  HTTP("http"),
  /** Telegram MTProto proxy with a per-fleet secret. */
  @JsonProperty("mtproto")
  MTPROTO("mtproto"),
  /** Shadowsocks (AEAD) with a per-fleet password. */
  @JsonProperty("shadowsocks")
  SHADOWSOCKS("shadowsocks");

  /** Schema pattern accepting exactly the wire names. */
  public static final String PATTERN = "^(socks5|http|mtproto|shadowsocks)$";

  private final String wireName;

  /** The protocol with this wire name, if any. */
  public static java.util.Optional<Protocol> fromWireName(String name) {
    for (Protocol p : values()) {
      if (p.wireName.equals(name)) {
        return java.util.Optional.of(p);
      }
    }
    return java.util.Optional.empty();
  }

  Protocol(String wireName) {
    this.wireName = wireName;
  }

  /** The name used in the API and in connection URIs. */
  public String wireName() {
    return wireName;
  }

  @Override
  public String toString() {
    return wireName;
  }
}
