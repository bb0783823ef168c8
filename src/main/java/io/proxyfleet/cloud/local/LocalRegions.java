package io.proxyfleet.cloud.local;

import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.Subnet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Naming rules of the local cloud: region {@code local-R} is 127.R.0.0/16, subnet S is
 * 127.R.S.0/24.
 */
final class LocalRegions {

  static final int MAX_REGION = 254;
  static final int MAX_SUBNETS = 256;
  static final int FIRST_HOST = 1;
  static final int LAST_HOST = 254;
  static final int HOSTS_PER_SUBNET = LAST_HOST - FIRST_HOST + 1;

  // Canonical numbers only (no leading zeros), so every region and subnet has exactly one name.
  private static final Pattern REGION = Pattern.compile("local-([1-9][0-9]{0,2})");
  private static final Pattern SUBNET =
      Pattern.compile("local-([1-9][0-9]{0,2})-s(0|[1-9][0-9]{0,2})");

  private LocalRegions() {}

  /** The R of {@code local-R}, or INVALID naming the region. */
  static int regionNumber(String region) {
    if (region != null) {
      Matcher m = REGION.matcher(region);
      if (m.matches()) {
        int r = Integer.parseInt(m.group(1));
        if (r <= MAX_REGION) {
          return r;
        }
      }
    }
    throw new CloudException(
        Reason.INVALID,
        "region \""
            + region
            + "\" does not exist in the local cloud; valid names are local-1 … local-"
            + MAX_REGION);
  }

  /** The S of subnet id {@code local-R-sS} within region R, or INVALID naming the subnet. */
  static int subnetIndex(String region, int regionNumber, String subnetId, int subnetsPerRegion) {
    if (subnetId != null) {
      Matcher m = SUBNET.matcher(subnetId);
      if (m.matches() && Integer.parseInt(m.group(1)) == regionNumber) {
        int s = Integer.parseInt(m.group(2));
        if (s < subnetsPerRegion) {
          return s;
        }
      }
    }
    throw new CloudException(
        Reason.INVALID,
        "subnet \""
            + subnetId
            + "\" does not exist in region "
            + region
            + "; valid ids are "
            + subnetId(regionNumber, 0)
            + (subnetsPerRegion > 1 ? " … " + subnetId(regionNumber, subnetsPerRegion - 1) : ""));
  }

  static String regionName(int r) {
    return "local-" + r;
  }

  static String subnetId(int r, int s) {
    return regionName(r) + "-s" + s;
  }

  static Subnet subnet(int r, int s) {
    String zone = regionName(r) + (char) ('a' + s % 26);
    return new Subnet(subnetId(r, s), regionName(r), zone, "127." + r + "." + s + ".0/24");
  }

  /** Packs 127.R.S.H into one int so the allocator can use plain int keys. */
  static int hostKey(int r, int s, int h) {
    return (r << 16) | (s << 8) | h;
  }
}
