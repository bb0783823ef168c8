package io.proxyfleet.cloudprofile;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.CloudProfileStatus;
import io.proxyfleet.api.SubnetStatus;
import io.proxyfleet.api.UnavailableZoneStatus;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.status.Conditions;
import io.proxyfleet.status.StatusChange;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks a CloudProfile against its cloud and reports it: whether the credentials work, the subnets
 * each region resolves to, zones held back for capacity, and a Ready condition naming a bad field.
 *
 * <p>This is the one place that probes credentials. Rejected credentials are not retried in a loop:
 * the check runs again when the profile changes, and otherwise only every {@link
 * #UNAUTHORIZED_RECHECK} (a fixed Secret has no event of its own), so a wrong key costs a handful
 * of calls per hour, not per second.
 */
public final class CloudProfileReconciler implements Reconciler<CloudProfile> {

  public static final String READY = "Ready";
  static final Duration UNAUTHORIZED_RECHECK = Duration.ofMinutes(5);
  static final Duration HEALTHY_RECHECK = Duration.ofMinutes(10);
  static final Duration TRANSIENT_RECHECK = Duration.ofMinutes(1);

  private final CloudProviders providers;
  private final EventRecorder events;
  private final Conditions conditions;

  public CloudProfileReconciler(CloudProviders providers, EventRecorder events, Clock clock) {
    this.providers = providers;
    this.events = events;
    this.conditions = new Conditions(clock);
  }

  @Override
  public UpdateControl<CloudProfile> reconcile(
      CloudProfile profile, Context<CloudProfile> context) {
    CloudProfileStatus previous = profile.getStatus();
    CloudProfileStatus status =
        Optional.ofNullable(StatusChange.copy(previous, CloudProfileStatus.class))
            .orElseGet(CloudProfileStatus::new);
    Long generation = profile.getMetadata().getGeneration();
    status.setObservedGeneration(generation);
    List<String> regions =
        profile.getSpec() != null ? profile.getSpec().providerRegions() : List.of();
    status.setRegions(new ArrayList<>(regions));
    Duration next;
    try {
      CloudProvider provider = providers.forProfile(profile);
      provider.verifyAccess();
      List<SubnetStatus> subnets = new ArrayList<>();
      List<UnavailableZoneStatus> unavailable = new ArrayList<>();
      for (String region : regions) {
        for (Subnet s : provider.subnets(region)) {
          subnets.add(new SubnetStatus(region, s.id(), s.zone(), s.cidr()));
        }
        String type = profile.getSpec().providerMachineType();
        provider.unavailableZones(region).stream()
            .sorted()
            .forEach(z -> unavailable.add(new UnavailableZoneStatus(region, z, type, null)));
      }
      status.setSubnets(subnets);
      status.setUnavailableZones(unavailable);
      status.setCredentials(CloudProfileStatus.CREDENTIALS_VALID);
      String summary =
          regions.isEmpty()
              ? "Usable"
              : subnets.size() + " subnets in " + regions.size() + " regions";
      conditions.set(status.getConditions(), READY, true, "Verified", summary, generation);
      next = HEALTHY_RECHECK;
    } catch (CloudException e) {
      next =
          switch (e.reason()) {
            case UNAUTHORIZED -> {
              status.setCredentials(CloudProfileStatus.CREDENTIALS_INVALID);
              // A Secret fixed in place does not bump the profile's generation: build a fresh
              // client next time.
              providers.invalidate(profile);
              yield UNAUTHORIZED_RECHECK;
            }
            case INVALID -> {
              status.setCredentials(CloudProfileStatus.CREDENTIALS_UNKNOWN);
              yield null;
            }
            default -> {
              status.setCredentials(
                  Optional.ofNullable(status.getCredentials())
                      .orElse(CloudProfileStatus.CREDENTIALS_UNKNOWN));
              yield TRANSIENT_RECHECK;
            }
          };
      String reason =
          switch (e.reason()) {
            case UNAUTHORIZED -> "Unauthorized";
            case INVALID -> "Invalid";
            case THROTTLED -> "Throttled";
            default -> "CloudUnreachable";
          };
      conditions.set(status.getConditions(), READY, false, reason, e.getMessage(), generation);
      if (StatusChange.changed(
          previous == null ? null : previous.getConditions(), status.getConditions())) {
        events.warning(profile, reason, e.getMessage());
      }
    }
    UpdateControl<CloudProfile> control;
    if (StatusChange.changed(previous, status)) {
      profile.setStatus(status);
      control = UpdateControl.patchStatus(profile);
    } else {
      control = UpdateControl.noUpdate();
    }
    return next == null ? control : control.rescheduleAfter(next);
  }
}
