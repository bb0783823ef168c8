package io.proxyfleet.blocklist;

import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.BlocklistStatus;
import io.proxyfleet.block.BlockIndexRegistry;
import io.proxyfleet.block.ParsedBlocklist;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.status.Conditions;
import io.proxyfleet.status.StatusChange;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Parses a Blocklist into an index and publishes it; fleets and proxies that reference the list are
 * re-evaluated through the registry's listeners. Malformed entries are counted and reported, never
 * fatal: the rest of the list still protects the fleet.
 */
public final class BlocklistReconciler implements Reconciler<Blocklist>, Cleaner<Blocklist> {

  public static final String READY = "Ready";
  public static final String DEGRADED = "Degraded";

  private final BlockIndexRegistry registry;
  private final EventRecorder events;
  private final Conditions conditions;

  public BlocklistReconciler(BlockIndexRegistry registry, EventRecorder events, Clock clock) {
    this.registry = registry;
    this.events = events;
    this.conditions = new Conditions(clock);
  }

  @Override
  public UpdateControl<Blocklist> reconcile(Blocklist list, Context<Blocklist> context) {
    List<String> cidrs = list.getSpec() == null || list.getSpec().getCidrs() == null ? List.of() : list.getSpec().getCidrs();
    ParsedBlocklist parsed = ParsedBlocklist.parse(cidrs, "spec.cidrs");
    registry.publish(list.getMetadata().getName(), parsed.index());

    BlocklistStatus previous = list.getStatus();
    BlocklistStatus status = Optional.ofNullable(StatusChange.copy(previous, BlocklistStatus.class)).orElseGet(BlocklistStatus::new);
    Long generation = list.getMetadata().getGeneration();
    status.setObservedGeneration(generation);
    status.setEntries(parsed.entries());
    status.setIpv4Addresses(parsed.index().ipv4Addresses());
    status.setRanges(parsed.index().rangeCount());
    status.setParseErrors(parsed.parseErrors());
    status.setErrors(parsed.firstErrors());
    conditions.set(status.getConditions(), READY, true, "Published",
        parsed.entries() + " entries, " + parsed.index().rangeCount() + " merged ranges in force", generation);
    if (parsed.parseErrors() > 0) {
      String message = parsed.parseErrors() + " entries skipped: " + String.join("; ", parsed.firstErrors())
          + "; fix them as address or CIDR (e.g. 52.58.0.0/15)";
      conditions.set(status.getConditions(), DEGRADED, true, "ParseErrors", message, generation);
      if (StatusChange.changed(previous == null ? null : previous.getErrors(), status.getErrors())) {
        events.warning(list, "ParseErrors", message);
      }
    } else {
      conditions.set(status.getConditions(), DEGRADED, false, "AsExpected", "Every entry parsed", generation);
    }
    if (!StatusChange.changed(previous, status)) {
      return UpdateControl.noUpdate();
    }
    list.setStatus(status);
    return UpdateControl.patchStatus(list);
  }

  @Override
  public DeleteControl cleanup(Blocklist list, Context<Blocklist> context) {
    registry.withdraw(list.getMetadata().getName());
    return DeleteControl.defaultDelete();
  }
}
