package io.proxyfleet.block;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Parsing and formatting of literal IP addresses and CIDRs. Never resolves names: a hostname is a
 * parse error, not a DNS lookup.
 */
public final class IpAddresses {

  private IpAddresses() {}

  /** Parses "a.b.c.d", "a.b.c.d/n", an IPv6 literal or an IPv6 CIDR. Host bits are masked off. */
  public static IpRange parseRange(String text) {
    String s = text.strip();
    if (s.isEmpty()) {
      throw new IllegalArgumentException("empty entry");
    }
    int slash = s.indexOf('/');
    String addr = slash < 0 ? s : s.substring(0, slash);
    boolean v6 = addr.indexOf(':') >= 0;
    int maxPrefix = v6 ? 128 : 32;
    int prefix = maxPrefix;
    if (slash >= 0) {
      String p = s.substring(slash + 1);
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("'" + s + "': prefix length '" + p + "' is not a number");
      }
      prefix = Integer.parseInt(p);
      if (prefix > maxPrefix) {
        throw new IllegalArgumentException(
            "'" + s + "': prefix length " + prefix + " is larger than " + maxPrefix);
      }
    }
    if (!v6) {
      long ip = parseIpv4(addr);
      long size = 1L << (32 - prefix);
      long start = ip & ~(size - 1) & 0xFFFFFFFFL;
      return IpRange.ipv4(start, start + size - 1);
    }
    long[] ip = parseIpv6(addr);
    long maskHi;
    long maskLo;
    if (prefix == 0) {
      maskHi = 0;
      maskLo = 0;
    } else if (prefix <= 64) {
      maskHi = -1L << (64 - prefix);
      maskLo = 0;
    } else {
      maskHi = -1L;
      maskLo = prefix == 128 ? -1L : -1L << (128 - prefix);
    }
    long startHi = ip[0] & maskHi;
    long startLo = ip[1] & maskLo;
    return new IpRange(true, startHi, startLo, startHi | ~maskHi, startLo | ~maskLo);
  }

  /** Parses a dotted-quad IPv4 address into 0..2^32-1. */
  public static long parseIpv4(String s) {
    long value = 0;
    int octets = 0;
    int i = 0;
    int n = s.length();
    while (i < n) {
      int start = i;
      int octet = 0;
      while (i < n && s.charAt(i) != '.') {
        char c = s.charAt(i);
        if (c < '0' || c > '9' || i - start >= 3) {
          throw new IllegalArgumentException("'" + s + "' is not an IPv4 address");
        }
        octet = octet * 10 + (c - '0');
        i++;
      }
      if (i == start || octet > 255) {
        throw new IllegalArgumentException("'" + s + "' is not an IPv4 address");
      }
      value = (value << 8) | octet;
      octets++;
      if (i < n) {
        i++; // the dot
        if (i == n) {
          throw new IllegalArgumentException("'" + s + "' is not an IPv4 address");
        }
      }
    }
    if (octets != 4) {
      throw new IllegalArgumentException("'" + s + "' is not an IPv4 address");
    }
    return value;
  }

  /** Parses an IPv6 literal into {hi, lo}. */
  public static long[] parseIpv6(String s) {
    if (!s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
      throw new IllegalArgumentException("'" + s + "' is not an IPv6 address");
    }
    try {
      // A literal containing ':' is parsed, never resolved.
      InetAddress a = InetAddress.getByName(s);
      byte[] b = a.getAddress();
      if (!(a instanceof Inet6Address) || b.length != 16) {
        throw new IllegalArgumentException("'" + s + "' is not an IPv6 address");
      }
      long hi = 0;
      long lo = 0;
      for (int k = 0; k < 8; k++) {
        hi = (hi << 8) | (b[k] & 0xFF);
        lo = (lo << 8) | (b[k + 8] & 0xFF);
      }
      return new long[] {hi, lo};
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + s + "' is not an IPv6 address");
    }
  }

  public static String formatIpv4(long v) {
    return ((v >>> 24) & 0xFF) + "." + ((v >>> 16) & 0xFF) + "." + ((v >>> 8) & 0xFF) + "." + (v & 0xFF);
  }

  public static String formatIpv6(long hi, long lo) {
    byte[] b = new byte[16];
    for (int k = 0; k < 8; k++) {
      b[7 - k] = (byte) (hi >>> (8 * k));
      b[15 - k] = (byte) (lo >>> (8 * k));
    }
    try {
      return InetAddress.getByAddress(b).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Prefix length when [start, end] is exactly one IPv6 CIDR block, otherwise -1. */
  static int ipv6PrefixLength(long sHi, long sLo, long eHi, long eLo) {
    long xHi = sHi ^ eHi;
    long xLo = sLo ^ eLo;
    int hostBits;
    if (xHi == 0) {
      hostBits = 64 - Long.numberOfLeadingZeros(xLo);
      if (xLo != 0 && Long.bitCount(xLo) != hostBits) return -1;
      if ((sLo & xLo) != 0 || (eLo & xLo) != xLo) return -1;
    } else {
      if (xLo != -1L || Long.bitCount(xHi) != 64 - Long.numberOfLeadingZeros(xHi)) return -1;
      if ((sHi & xHi) != 0 || (eHi & xHi) != xHi || sLo != 0 || eLo != -1L) return -1;
      hostBits = 64 + 64 - Long.numberOfLeadingZeros(xHi);
    }
    return 128 - hostBits;
  }
}
