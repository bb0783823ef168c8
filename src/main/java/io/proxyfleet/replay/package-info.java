/**
 * The blockade replay: a fleet run through a real block timeline on a simulated clock and a simulated
 * cloud that draws public IPs from published ranges. Decisions come from the production planner and
 * address assignment, so the replay measures what the operator would do.
 */
package io.proxyfleet.replay;
