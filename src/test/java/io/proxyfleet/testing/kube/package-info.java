/**
 * A real kube-apiserver and etcd, built from the Go module in {@code src/test/kube}, started once
 * per test run on loopback ports ({@link io.proxyfleet.testing.kube.RealKube}), and operator
 * processes that run against it with a ServiceAccount token ({@link
 * io.proxyfleet.testing.kube.OperatorProcess}).
 */
package io.proxyfleet.testing.kube;
