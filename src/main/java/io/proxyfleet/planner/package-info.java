/**
 * The pure fleet planner: from a fleet's policy and its proxies as they are, decide what to create,
 * delete and re-IP. No I/O, no clock of its own, no randomness: the same input gives the same plan,
 * which is what lets tests, the reconciler and (later) the blockade replay share it.
 */
package io.proxyfleet.planner;
