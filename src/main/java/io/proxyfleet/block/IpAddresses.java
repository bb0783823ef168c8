package io.proxyfleet.block;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Parsing and formatting of literal IP addresses and CIDRs. Never resolves names: a hostname is a
 * parse error, not a DNS lookup.
 *
 * <p>The parsers work on any {@link CharSequence} range and write primitives into a caller's array,
 * so a list reader can parse hundreds of thousands of values without allocating per value.
 */
public final class IpAddresses {

  /** Longest value quoted in an error message; binary junk must not flood status or logs. */
  private static final int MAX_QUOTED = 60;

  private IpAddresses() {}

  /** Parses "a.b.c.d", "a.b.c.d/n", an IPv6 literal or an IPv6 CIDR. Host bits are masked off. */
  public static IpRange parseRange(String text) {
    String s = text.strip();
    long[] r = new long[4];
    boolean v6 = parseRange(s, 0, s.length(), r);
    return v6 ? new IpRange(true, r[0], r[1], r[2], r[3]) : IpRange.ipv4(r[1], r[3]);
  }

  /**
   * Parses an address or CIDR in {@code s[from, to)} (no surrounding blanks) into {@code out} as
   * {startHi, startLo, endHi, endLo}; IPv4 values use only the low words. Host bits are masked off.
   *
   * @return whether the value is IPv6
   * @throws IllegalArgumentException naming the value and what is wrong with it
   */
  public static boolean parseRange(CharSequence s, int from, int to, long[] out) {
    if (from >= to) {
      throw new IllegalArgumentException("empty entry");
    }
    int slash = -1;
    boolean v6 = false;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c == '/' && slash < 0) {
        slash = i;
      } else if (c == ':') {
        v6 = true;
      }
    }
    int addrEnd = slash < 0 ? to : slash;
    int maxPrefix = v6 ? 128 : 32;
    int prefix = maxPrefix;
    if (slash >= 0) {
      int digits = to - slash - 1;
      prefix = 0;
      for (int i = slash + 1; i < to; i++) {
        char c = s.charAt(i);
        if (c < '0' || c > '9' || digits > 3) {
          prefix = -1;
          break;
        }
        prefix = prefix * 10 + (c - '0');
      }
      if (digits == 0 || prefix < 0) {
        throw new IllegalArgumentException(
            quote(s, from, to) + ": prefix length " + quote(s, slash + 1, to) + " is not a number");
      }
      if (prefix > maxPrefix) {
        throw new IllegalArgumentException(
            quote(s, from, to) + ": prefix length " + prefix + " is larger than " + maxPrefix);
      }
    }
    if (!v6) {
      long ip = parseIpv4(s, from, addrEnd);
      long size = 1L << (32 - prefix);
      long start = ip & ~(size - 1) & 0xFFFFFFFFL;
      out[0] = 0;
      out[1] = start;
      out[2] = 0;
      out[3] = start + size - 1;
      return false;
    }
    parseIpv6(s, from, addrEnd, out);
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
    long startHi = out[0] & maskHi;
    long startLo = out[1] & maskLo;
    out[0] = startHi;
    out[1] = startLo;
    out[2] = startHi | ~maskHi;
    out[3] = startLo | ~maskLo;
    return true;
  }

  /** Parses a dotted-quad IPv4 address into 0..2^32-1. */
  public static long parseIpv4(String s) {
    return parseIpv4(s, 0, s.length());
  }

  /**
   * Parses a dotted-quad IPv4 address in {@code s[from, to)} into 0..2^32-1, without allocating.
   */
  public static long parseIpv4(CharSequence s, int from, int to) {
    long value = 0;
    int octets = 0;
    int i = from;
    while (i < to) {
      int start = i;
      int octet = 0;
      char c;
      while (i < to && (c = s.charAt(i)) != '.') {
        if (c < '0' || c > '9' || i - start >= 3) {
          throw notIpv4(s, from, to);
        }
        octet = octet * 10 + (c - '0');
        i++;
      }
      if (i == start || octet > 255 || octets == 4) {
        throw notIpv4(s, from, to);
      }
      value = (value << 8) | octet;
      octets++;
      if (i < to) {
        i++; // the dot
        if (i == to) {
          throw notIpv4(s, from, to);
        }
      }
    }
    if (octets != 4) {
      throw notIpv4(s, from, to);
    }
    return value;
  }

  private static IllegalArgumentException notIpv4(CharSequence s, int from, int to) {
    return new IllegalArgumentException(quote(s, from, to) + " is not an IPv4 address");
  }

  /** Parses an IPv6 literal into {hi, lo}. */
  public static long[] parseIpv6(String s) {
    long[] out = new long[2];
    parseIpv6(s, 0, s.length(), out);
    return new long[] {out[0], out[1]};
  }

  /**
   * Parses an IPv6 literal in {@code s[from, to)} (RFC 4291 text forms: {@code ::} compression and
   * a trailing dotted IPv4 part; no zone ids) into {@code out[0]} (high) and {@code out[1]} (low).
   */
  public static void parseIpv6(CharSequence s, int from, int to, long[] out) {
    // Groups before "::" accumulate in (headHi, headLo), groups after it in (tailHi, tailLo); each
    // new group shifts its accumulator left by 16 bits.
    long headHi = 0;
    long headLo = 0;
    long tailHi = 0;
    long tailLo = 0;
    int head = 0;
    int tail = 0;
    boolean compressed = false;
    int i = from;
    if (to - from >= 2 && s.charAt(from) == ':' && s.charAt(from + 1) == ':') {
      compressed = true;
      i = from + 2;
    } else if (i < to && s.charAt(i) == ':') {
      throw notIpv6(s, from, to);
    }
    while (i < to) {
      int start = i;
      int group = 0;
      int digit;
      while (i < to && i - start < 5 && (digit = hexDigit(s.charAt(i))) >= 0) {
        group = (group << 4) | digit;
        i++;
      }
      if (i < to && s.charAt(i) == '.') {
        // Trailing IPv4 form (::ffff:1.2.3.4): it is the last part and stands for two groups.
        int j = start;
        while (j < to && s.charAt(j) != ':') {
          j++;
        }
        if (j != to || head + tail > 6) {
          throw notIpv6(s, from, to);
        }
        long v4;
        try {
          v4 = parseIpv4(s, start, to);
        } catch (IllegalArgumentException e) {
          throw notIpv6(s, from, to);
        }
        if (compressed) {
          tailHi = (tailHi << 32) | (tailLo >>> 32);
          tailLo = (tailLo << 32) | v4;
          tail += 2;
        } else {
          headHi = (headHi << 32) | (headLo >>> 32);
          headLo = (headLo << 32) | v4;
          head += 2;
        }
        i = to;
        break;
      }
      int length = i - start;
      if (length == 0 || length > 4 || head + tail >= 8) {
        throw notIpv6(s, from, to);
      }
      if (compressed) {
        tailHi = (tailHi << 16) | (tailLo >>> 48);
        tailLo = (tailLo << 16) | group;
        tail++;
      } else {
        headHi = (headHi << 16) | (headLo >>> 48);
        headLo = (headLo << 16) | group;
        head++;
      }
      if (i == to) {
        break;
      }
      if (s.charAt(i) != ':') {
        throw notIpv6(s, from, to);
      }
      i++;
      if (i < to && s.charAt(i) == ':') {
        if (compressed) {
          throw notIpv6(s, from, to);
        }
        compressed = true;
        i++;
      } else if (i == to) {
        throw notIpv6(s, from, to); // a single trailing colon
      }
    }
    if (compressed ? head + tail > 7 : head != 8) {
      throw notIpv6(s, from, to);
    }
    // Move the head groups to the top: shift left by 16 bits per missing group.
    int shift = 16 * (8 - head);
    long hi;
    long lo;
    if (shift == 0) {
      hi = headHi;
      lo = headLo;
    } else if (shift == 128) {
      hi = 0;
      lo = 0;
    } else if (shift >= 64) {
      hi = headLo << (shift - 64);
      lo = 0;
    } else {
      hi = (headHi << shift) | (headLo >>> (64 - shift));
      lo = headLo << shift;
    }
    out[0] = hi | tailHi;
    out[1] = lo | tailLo;
  }

  // ASCII only: Character.digit would accept full-width and other Unicode digits.
  private static int hexDigit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  private static IllegalArgumentException notIpv6(CharSequence s, int from, int to) {
    return new IllegalArgumentException(quote(s, from, to) + " is not an IPv6 address");
  }

  /**
   * {@code s[from, to)} in single quotes for an error message: shortened when long, control
   * characters shown as '?', so junk input cannot flood a status or a terminal.
   */
  public static String quote(CharSequence s, int from, int to) {
    CharSequence text = s.subSequence(from, Math.min(to, from + MAX_QUOTED));
    StringBuilder b = new StringBuilder(text.length() + 5).append('\'');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      b.append(Character.isISOControl(c) ? '?' : c);
    }
    b.append('\'');
    if (to - from > MAX_QUOTED) {
      b.append("...");
    }
    return b.toString();
  }

  public static String formatIpv4(long v) {
    return ((v >>> 24) & 0xFF)
        + "."
        + ((v >>> 16) & 0xFF)
        + "."
        + ((v >>> 8) & 0xFF)
        + "."
        + (v & 0xFF);
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
