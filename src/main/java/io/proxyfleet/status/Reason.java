package io.proxyfleet.status;

/**
 * Condition reasons of fleets and proxies, spelled as they appear in status ({@code name()}). The
 * fleet reads a proxy's reason (quota, burned region) and the blockade replay simulates the same
 * outcomes, so all three share these values instead of repeating string literals; no reason is ever
 * recovered from a message.
 */
public enum Reason {
  // Spec and placement problems of a fleet (Degraded).
  InvalidSpec,
  BlocklistNotFound,
  CredentialsNotFound,
  ProtocolNotSupported,
  RegionBurned,
  QuotaExceeded,
  RegionsAvoided,
  PlacementUnavailable,
  /**
   * A Vantage of the fleet stopped reporting: blocks nobody publishes are found from the others
   * only.
   */
  VantageSilent,
  AsExpected,
  Forbidden,
  ReconcileError,
  // Fleet progress (Progressing) and readiness (Ready).
  Stable,
  RotatingBlocked,
  RotatingByAge,
  ScalingUp,
  ScalingDown,
  WaitingForProxies,
  ProxiesReady,
  ProxiesNotReady,
  // Rotation budget (RotationsHeld).
  WithinBudget,
  BudgetSpent,
  // One proxy's life (Launched, AddressAssigned, Ready, Blocked).
  InstanceCreated,
  NotLaunched,
  AddressAttached,
  NoAddress,
  CloudProfileNotFound,
  Booting,
  Serving,
  Rotating,
  Terminating,
  Blocked,
  InBlocklist,
  NotBlocked,
  // Why a proxy failed or waits on its cloud: the fleet replaces Failed ones.
  InstanceLost,
  InstanceStopped,
  LaunchTimeout,
  NoCleanAddress,
  InvalidRequest,
  CapacityUnavailable,
  Unauthorized,
  Throttled,
  CloudError;

  /** Whether a condition's reason (a string from the API, perhaps null) is this one. */
  public boolean is(String reason) {
    return name().equals(reason);
  }

  /**
   * The reason a condition names, or null when it names none of these (written by someone else).
   */
  public static Reason parse(String reason) {
    for (Reason r : values()) {
      if (r.is(reason)) {
        return r;
      }
    }
    return null;
  }
}
