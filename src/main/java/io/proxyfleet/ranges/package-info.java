/**
 * Cloud IP ranges as AWS and Google publish them: which public prefixes belong to which region, and
 * with a {@link io.proxyfleet.block.BlockIndex} how much of each region a censor has blocked.
 * Placement uses that to prefer clean regions; the blockade replay draws simulated public IPs from
 * it.
 */
package io.proxyfleet.ranges;
