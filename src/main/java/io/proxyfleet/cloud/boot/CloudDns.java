package io.proxyfleet.cloud.boot;

/**
 * The DNS resolver a cloud gives its VMs. The proxy user must reach it, and nothing else in the
 * link-local and private ranges: proxies resolve the hostnames clients ask for (SOCKS5 domain
 * requests, HTTP CONNECT hosts, the FakeTLS domain), and on both clouds the resolver lives in a
 * range the firewall otherwise closes.
 */
public enum CloudDns {
  /**
   * AWS: the Route 53 Resolver at 169.254.169.253 (IPv4) and fd00:ec2::253 (IPv6, Nitro), and the
   * VPC's base address plus two, which is where resolv.conf points on EC2 images. The VPC CIDRs are
   * read from IMDSv2 at boot by root, before the rules exist.
   */
  AWS("169.254.169.253", "fd00:ec2::253"),
  /** Google Cloud: the metadata server answers DNS at 169.254.169.254, port 53 only. */
  GCP("169.254.169.254", null);

  private final String ipv4;
  private final String ipv6;

  CloudDns(String ipv4, String ipv6) {
    this.ipv4 = ipv4;
    this.ipv6 = ipv6;
  }

  /** The fixed IPv4 resolver address. */
  public String ipv4() {
    return ipv4;
  }

  /** The fixed IPv6 resolver address, or null. */
  public String ipv6() {
    return ipv6;
  }

  /** Whether the VPC base+2 resolvers are looked up from instance metadata at boot. */
  boolean vpcResolvers() {
    return this == AWS;
  }
}
