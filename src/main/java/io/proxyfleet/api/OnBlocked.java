package io.proxyfleet.api;

/** What happens to a proxy whose public IP becomes blocked. */
public enum OnBlocked {
  /** Give the same VM a fresh, unblocked public IP (fast, cheap). */
  ReassignIP,
  /** Launch a new proxy and delete the blocked one. */
  Replace
}
