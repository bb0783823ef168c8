package io.proxyfleet.api;

/**
 * Where a proxy is in its life. Only {@link #Running} serves traffic on {@code status.publicIp}.
 */
public enum ProxyPhase {
  Pending,
  Launching,
  Running,
  Rotating,
  Terminating,
  Failed
}
