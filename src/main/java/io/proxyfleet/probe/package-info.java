/**
 * Reachability of proxies, decided from evidence rather than from lists: {@link ProxyProbe} speaks
 * each proxy's protocol with the fleet's credentials from some vantage (the operator's own, or a
 * {@code Vantage} agent inside the censored network), and {@link ProbeClassifier} turns rounds of
 * inside and outside results into a verdict (healthy, blocked, down). Both are free of Kubernetes
 * and cloud types, so the operator, the probe agent and the replay share them.
 */
package io.proxyfleet.probe;
