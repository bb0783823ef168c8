package io.proxyfleet.api;

/** Names shared by every resource of the API group. */
public final class ApiGroup {
  public static final String GROUP = "proxyfleet.io";
  public static final String VERSION = "v1alpha1";
  public static final String API_VERSION = GROUP + "/" + VERSION;

  /** Label on every Proxy and Secret a fleet owns: the fleet's name. */
  public static final String FLEET_LABEL = "proxyfleet.io/fleet";

  /**
   * Finalizer that keeps a Proxy until its VM and addresses are gone, and a fleet until its proxies
   * are.
   */
  public static final String FINALIZER = "proxyfleet.io/cleanup";

  /**
   * Annotation on a Proxy asking for a new public IP on the same VM, for an engineer to write by
   * hand. Its value is an opaque request id; the proxy reconciler records the last id it served in
   * {@code status.ipRotationHandled}. The fleet asks through its own status instead ({@code
   * status.ipRotationRequests}, served into the Proxy's {@code status.fleetRotationHandled}): one
   * write for a block of a thousand proxies rather than a thousand. Proxies still serve annotations
   * an older operator wrote.
   */
  public static final String ROTATE_IP_ANNOTATION = "proxyfleet.io/rotate-ip";

  private ApiGroup() {}
}
