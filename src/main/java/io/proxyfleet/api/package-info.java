/**
 * The {@code proxyfleet.io/v1alpha1} API: {@link io.proxyfleet.api.ProxyFleet} (policy), {@link
 * io.proxyfleet.api.Proxy} (one VM and its IP), {@link io.proxyfleet.api.CloudProfile} (how to
 * reach a cloud) and {@link io.proxyfleet.api.Blocklist} (blocked ranges). The CRDs under {@code
 * crds/} are generated from these classes; field Javadoc becomes {@code kubectl explain} text.
 */
package io.proxyfleet.api;
