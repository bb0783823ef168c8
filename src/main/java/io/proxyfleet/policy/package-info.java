/**
 * Pure fleet policy read from a validated spec: placements, rotation settings, the rotation budget
 * and how blocked a region is. No I/O; the fleet and proxy reconcilers and the blockade replay all
 * read a fleet through these, so they cannot disagree on what a spec means.
 */
package io.proxyfleet.policy;
