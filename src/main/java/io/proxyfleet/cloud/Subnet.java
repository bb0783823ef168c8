package io.proxyfleet.cloud;

/** A subnet proxies can be launched into. {@code cidr} is the subnet's private range. */
public record Subnet(String id, String region, String zone, String cidr) {}
