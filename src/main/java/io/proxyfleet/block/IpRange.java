package io.proxyfleet.block;

/**
 * An inclusive range of IPv4 or IPv6 addresses. IPv4 values live in {@code lo} (0 to 2^32-1, {@code
 * hi} unused); IPv6 values are 128-bit numbers split into two unsigned longs.
 */
public record IpRange(boolean ipv6, long startHi, long startLo, long endHi, long endLo) {

  public static IpRange ipv4(long start, long end) {
    return new IpRange(false, 0, start, 0, end);
  }

  /** Number of addresses for IPv4 ranges. */
  public long ipv4Size() {
    return endLo - startLo + 1;
  }

  /** The range as a CIDR when it is one, otherwise as {@code first-last}. */
  public String describe() {
    if (!ipv6) {
      long size = endLo - startLo + 1;
      if (Long.bitCount(size) == 1 && (startLo & (size - 1)) == 0) {
        return IpAddresses.formatIpv4(startLo) + "/" + (32 - Long.numberOfTrailingZeros(size));
      }
      return IpAddresses.formatIpv4(startLo) + "-" + IpAddresses.formatIpv4(endLo);
    }
    int prefix = IpAddresses.ipv6PrefixLength(startHi, startLo, endHi, endLo);
    if (prefix >= 0) {
      return IpAddresses.formatIpv6(startHi, startLo) + "/" + prefix;
    }
    return IpAddresses.formatIpv6(startHi, startLo) + "-" + IpAddresses.formatIpv6(endHi, endLo);
  }
}
