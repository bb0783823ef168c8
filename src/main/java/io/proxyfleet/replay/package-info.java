/**
 * The blockade replay: a fleet run through a real block timeline on a simulated clock and a simulated
 * cloud that draws public IPs from published ranges. Decisions come from the production planner and
 * address assignment, so the replay measures what the operator would do. A censor that blocks what
 * it learns from the published endpoints, and a vantage whose probes go through the production
 * classifier, measure what detection by probes is worth against one that publishes nothing.
 */
package io.proxyfleet.replay;
