/**
 * Local mode: the embedded Kubernetes API, the loopback cloud and the operator in one process, as
 * used by {@code proxyfleet local}, the benchmark and the integration tests.
 */
package io.proxyfleet.local;
