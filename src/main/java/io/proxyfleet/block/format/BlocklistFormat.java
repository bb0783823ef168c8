package io.proxyfleet.block.format;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/** The list formats a Blocklist source can be written in, by their wire names in the CRD. */
public enum BlocklistFormat {
  /**
   * One IPv4/IPv6 address or CIDR per line; {@code #} comments (whole line or trailing), blank
   * lines, CRLF, a UTF-8 byte order mark (antifilter lists, {@code ip_all.lst}).
   */
  IP_LIST("ip-list", StandardCharsets.UTF_8),
  /**
   * The Roskomnadzor registry dump as republished by zapret-info: {@code
   * ips;domain;url;org;decision_number;decision_date}, cp1251, an optional {@code Updated:} first
   * line, IPs joined by {@code |} or {@code " | "}, URLs that contain {@code ;}, domain-only rows.
   */
  ZAPRET_CSV("zapret-csv", Charset.forName("windows-1251"));

  private final String wireName;
  private final Charset defaultCharset;

  BlocklistFormat(String wireName, Charset defaultCharset) {
    this.wireName = wireName;
    this.defaultCharset = defaultCharset;
  }

  public String wireName() {
    return wireName;
  }

  public Charset defaultCharset() {
    return defaultCharset;
  }

  public static Optional<BlocklistFormat> fromWireName(String name) {
    return Arrays.stream(values()).filter(f -> f.wireName.equals(name)).findFirst();
  }
}
