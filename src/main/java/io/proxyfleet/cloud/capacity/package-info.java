/**
 * Capacity handling every provider shares: the short-lived cache of unavailable offerings (region,
 * zone, machine type) fed by capacity errors, the zone fallback order of a launch, and the view of
 * usable subnets that the planner spreads new proxies over.
 */
package io.proxyfleet.cloud.capacity;
