package io.proxyfleet.decide;

import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.status.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What to do with one proxy and its VM now. The caller acts on the decision and, after an action
 * that changes what it observes (a launch, an address assignment), asks again: one reconcile pass
 * may take several steps, as a VM launched and already running is served in the same pass.
 */
public final class ProxyStep {

  private ProxyStep() {}

  /** A pending VM is looked at again after this long. */
  public static final Duration BOOT_POLL = Duration.ofSeconds(2);

  /**
   * What the proxy controller knows of one proxy.
   *
   * @param phase the phase recorded in its status (Pending when none)
   * @param recordedInstanceId the instance recorded in its status, or null before the first launch
   * @param recordedIp the public IP recorded in its status, or null
   * @param instance its VM as the cloud reports it (found by the proxy's owner tag), or empty
   * @param instanceIpBlocked the VM's current IP is in one of the fleet's blocklists
   * @param rotationRequested a new IP was requested and not yet handled
   */
  public record Observation(
      ProxyPhase phase,
      String recordedInstanceId,
      String recordedIp,
      Instant createdAt,
      Duration launchTimeout,
      Optional<Instance> instance,
      boolean instanceIpBlocked,
      boolean rotationRequested,
      Instant now) {

    public Observation {
      phase = phase == null ? ProxyPhase.Pending : phase;
    }

    boolean timedOut() {
      return Duration.between(createdAt, now).compareTo(launchTimeout) > 0;
    }

    /** The same observation after the caller launched {@code launched}. */
    public Observation launched(Instance launched) {
      return new Observation(
          phase,
          launched.id(),
          recordedIp,
          createdAt,
          launchTimeout,
          Optional.of(launched),
          false,
          rotationRequested,
          now);
    }
  }

  /** One decision; its {@code toString} is what the decision log records. */
  public sealed interface Decision
      permits Launch, Boot, AssignAddress, Serve, Fail, StayFailed, Retry {}

  /** No VM and none launched yet: launch one. */
  public record Launch() implements Decision {}

  /** The VM is booting: phase Launching, look again after {@link #BOOT_POLL}. */
  public record Boot() implements Decision {}

  /**
   * Give the VM a clean address (AddressAssignment), then ask {@link #afterAssignment}.
   *
   * @param rotation the VM serves on an address now, which this replaces (phase Rotating until
   *     done)
   * @param firstAddress no address yet: the first draw uses the proxy's subnet as a hint
   * @param keepNewer a rotation a crashed pass carried out but never recorded: keep the VM's
   *     address if it is one of the proxy's, instead of drawing again
   */
  public record AssignAddress(boolean rotation, boolean firstAddress, boolean keepNewer)
      implements Decision {}

  /** Serving: phase Running. */
  public record Serve() implements Decision {}

  /** Give up on this proxy: phase Failed with this reason; the fleet replaces it. */
  public record Fail(Reason reason) implements Decision {}

  /** Failed earlier: failure is final, the fleet replaces the proxy; nothing is done. */
  public record StayFailed() implements Decision {}

  /**
   * A cloud error that retrying may cure: keep {@code phase}, say {@code reason}, retry after
   * {@code backoff} (or when something changes, when null).
   */
  public record Retry(Reason reason, ProxyPhase phase, Duration backoff) implements Decision {}

  /** The next thing to do for a proxy that is not being deleted. */
  public static Decision decide(Observation o) {
    if (o.phase() == ProxyPhase.Failed) {
      return new StayFailed();
    }
    if (o.instance().isEmpty()) {
      if (o.recordedInstanceId() != null) {
        return new Fail(Reason.InstanceLost);
      }
      return o.timedOut() ? new Fail(Reason.LaunchTimeout) : new Launch();
    }
    Instance instance = o.instance().get();
    if (instance.state() == Instance.State.PENDING) {
      return o.timedOut() ? new Fail(Reason.LaunchTimeout) : new Boot();
    }
    if (instance.state() != Instance.State.RUNNING) {
      return new Fail(Reason.InstanceStopped);
    }
    String ip = instance.publicIp();
    if (ip == null) {
      return new AssignAddress(false, true, false);
    }
    if (o.rotationRequested()) {
      boolean newerUnrecorded =
          o.recordedIp() != null && !ip.equals(o.recordedIp()) && !o.instanceIpBlocked();
      return new AssignAddress(true, false, newerUnrecorded);
    }
    return new Serve();
  }

  /** After an address assignment: serving, or failed when every draw was blocked. */
  public static Decision afterAssignment(boolean clean) {
    return clean ? new Serve() : new Fail(Reason.NoCleanAddress);
  }

  /**
   * After a cloud call failed with {@code error} while the proxy was in {@code phase} (Rotating
   * when an address swap was under way): an invalid request fails the proxy, anything else keeps
   * the phase and is retried.
   */
  public static Decision onCloudError(CloudException.Reason error, ProxyPhase phase) {
    return onCloudError(error, phase, false);
  }

  /**
   * As {@link #onCloudError(CloudException.Reason, ProxyPhase)}, for a proxy whose instance was
   * already launched ({@code launched}): a Pending proxy whose VM exists is Launching, not Pending,
   * while it waits to retry (an address allocation refused right after the launch showed a live VM
   * as Pending).
   */
  public static Decision onCloudError(
      CloudException.Reason error, ProxyPhase phase, boolean launched) {
    ProxyPhase recorded = phase == null ? ProxyPhase.Pending : phase;
    ProxyPhase kept = recorded == ProxyPhase.Pending && launched ? ProxyPhase.Launching : recorded;
    return switch (error) {
      case INVALID -> new Fail(Reason.InvalidRequest);
      // Retrying will not help until the profile or its Secret changes; the profile informer wakes
      // us.
      case UNAUTHORIZED -> new Retry(Reason.Unauthorized, kept, null);
      case QUOTA_EXCEEDED -> new Retry(Reason.QuotaExceeded, kept, Duration.ofMinutes(1));
      case CAPACITY_UNAVAILABLE ->
          new Retry(Reason.CapacityUnavailable, kept, Duration.ofMinutes(1));
      case THROTTLED -> new Retry(Reason.Throttled, kept, Duration.ofSeconds(10));
      default -> new Retry(Reason.CloudError, kept, Duration.ofSeconds(5));
    };
  }

  /** One step of tearing a deleted proxy down. */
  public sealed interface Cleanup permits Terminate, ReleaseAndFinish {}

  /** The VM still exists: terminate it, then look again. */
  public record Terminate() implements Cleanup {}

  /** The VM is gone: release the proxy's addresses and let the proxy go. */
  public record ReleaseAndFinish() implements Cleanup {}

  public static Cleanup cleanup(Optional<Instance> instance) {
    return instance.isPresent() ? new Terminate() : new ReleaseAndFinish();
  }
}
