package io.proxyfleet.cloud;

import io.proxyfleet.api.Protocol;

/** What to launch for one proxy: where, which daemon, and the credentials it enforces. */
public record LaunchSpec(
    OwnerTags owner,
    String region,
    String subnetId,
    Protocol protocol,
    int port,
    ProxyCredentials credentials) {}
