/**
 * What the running operator shows the platform around it: one HTTP port with {@code /healthz},
 * {@code /readyz} and {@code /metrics} (Prometheus text through Micrometer), and the domain metrics
 * read from the fleets and proxies the operator watches.
 */
package io.proxyfleet.runtime;
