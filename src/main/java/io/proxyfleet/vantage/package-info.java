/**
 * Vantages inside the censored network: the probe agent that runs there ({@link ProbeAgent}, the
 * {@code probe-agent} command) and the least-privilege RBAC it runs with ({@link AgentRbac}).
 */
package io.proxyfleet.vantage;
