/**
 * The blockade replay: a fleet run through a real block timeline on a simulated clock and a
 * simulated cloud that draws public IPs from published ranges. Decisions come from the reconcilers'
 * own step functions ({@link io.proxyfleet.decide}) and address assignment, so the replay measures
 * what the operator would do; this package holds only the simulated world around them. A censor
 * that blocks what it learns from the published endpoints, and a vantage whose probes go through
 * the production classifier, measure what detection by probes is worth against one that publishes
 * nothing.
 */
package io.proxyfleet.replay;
