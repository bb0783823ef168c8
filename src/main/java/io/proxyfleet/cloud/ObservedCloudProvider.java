package io.proxyfleet.cloud;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.block.IpRange;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A provider whose cloud operations are reported to a {@link CloudCallObserver}. {@link
 * CloudProviders} wraps every provider it hands out in one, so each adapter (AWS, GCP, local) is
 * counted the same way without knowing about metrics. Operations that answer from memory (type,
 * protocol support, address space, unavailable zones) are passed through uncounted.
 */
final class ObservedCloudProvider implements CloudProvider {

  private final CloudProvider delegate;
  private final CloudCallObserver observer;

  ObservedCloudProvider(CloudProvider delegate, CloudCallObserver observer) {
    this.delegate = delegate;
    this.observer = observer;
  }

  /** The provider behind this one, for tests. */
  CloudProvider delegate() {
    return delegate;
  }

  private <T> T observe(String operation, Supplier<T> call) {
    T result;
    try {
      result = call.get();
    } catch (RuntimeException e) {
      observer.called(delegate.type(), operation, CloudCallObserver.outcome(e));
      throw e;
    }
    observer.called(delegate.type(), operation, CloudCallObserver.SUCCESS);
    return result;
  }

  private void observe(String operation, Runnable call) {
    observe(
        operation,
        () -> {
          call.run();
          return null;
        });
  }

  @Override
  public String type() {
    return delegate.type();
  }

  @Override
  public boolean supports(Protocol protocol) {
    return delegate.supports(protocol);
  }

  @Override
  public List<IpRange> addressSpace(String region) {
    return delegate.addressSpace(region);
  }

  @Override
  public void verifyAccess() {
    observe("verify_access", delegate::verifyAccess);
  }

  @Override
  public Set<String> unavailableZones(String region) {
    return delegate.unavailableZones(region);
  }

  @Override
  public List<Subnet> subnets(String region) {
    return observe("subnets", () -> delegate.subnets(region));
  }

  @Override
  public Optional<Instance> findInstance(String region, String ownerUid) {
    return observe("find_instance", () -> delegate.findInstance(region, ownerUid));
  }

  @Override
  public Instance launch(LaunchSpec spec) {
    return observe("launch", () -> delegate.launch(spec));
  }

  @Override
  public void terminate(String region, String instanceId) {
    observe("terminate", () -> delegate.terminate(region, instanceId));
  }

  @Override
  public List<Instance> listManagedInstances(String region, String cluster) {
    return observe("list_managed_instances", () -> delegate.listManagedInstances(region, cluster));
  }

  @Override
  public Address allocateAddress(String region, OwnerTags owner, Optional<String> subnetHint) {
    return observe("allocate_address", () -> delegate.allocateAddress(region, owner, subnetHint));
  }

  @Override
  public Set<String> managedRegions(String cluster, Set<String> known) {
    return observe("managed_regions", () -> delegate.managedRegions(cluster, known));
  }

  @Override
  public List<String> removeUnusedShared(String cluster, java.time.Duration minAge) {
    return observe("remove_unused_shared", () -> delegate.removeUnusedShared(cluster, minAge));
  }

  @Override
  public List<Address> listManagedAddresses(String region, String cluster) {
    return observe("list_managed_addresses", () -> delegate.listManagedAddresses(region, cluster));
  }

  @Override
  public void associateAddress(String region, String instanceId, Address address) {
    observe("associate_address", () -> delegate.associateAddress(region, instanceId, address));
  }

  @Override
  public void releaseAddress(String region, Address address) {
    observe("release_address", () -> delegate.releaseAddress(region, address));
  }

  @Override
  public void close() {
    delegate.close();
  }
}
