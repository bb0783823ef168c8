/**
 * The {@code local} cloud: an in-process provider whose "VMs" are real SOCKS5 and HTTP proxy
 * servers bound to loopback addresses (Linux routes all of 127.0.0.0/8 to loopback).
 *
 * <p>It powers the operator's local mode and the integration tests, so it deliberately copies the
 * parts of a real cloud the reconcilers depend on: owner-tag lookups, idempotent launches, a boot
 * delay, and Elastic IP semantics (an address survives its instance, moving it burns the old IP by
 * closing its listener and connections, and an associated address cannot be released). One {@link
 * io.proxyfleet.cloud.local.LoopbackNetwork} holds the address space and the Netty event loops;
 * each {@link io.proxyfleet.cloud.local.LocalCloudProvider} is one CloudProfile's view of it.
 */
package io.proxyfleet.cloud.local;
