package io.proxyfleet.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.CloudProfileSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CloudProvidersTest {

  /** A provider that only knows whether it was closed. */
  static final class Counted implements CloudProvider {
    volatile boolean closed;

    @Override
    public String type() {
      return "counted";
    }

    @Override
    public List<Subnet> subnets(String region) {
      return List.of();
    }

    @Override
    public Optional<Instance> findInstance(String region, String ownerUid) {
      return Optional.empty();
    }

    @Override
    public Instance launch(LaunchSpec spec) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void terminate(String region, String instanceId) {}

    @Override
    public List<Instance> listManagedInstances(String region, String cluster) {
      return List.of();
    }

    @Override
    public Address allocateAddress(String region, OwnerTags owner, Optional<String> subnetHint) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<Address> listManagedAddresses(String region, String cluster) {
      return List.of();
    }

    @Override
    public void associateAddress(String region, String instanceId, Address address) {}

    @Override
    public void releaseAddress(String region, Address address) {}

    @Override
    public void close() {
      closed = true;
    }
  }

  static CloudProfile profile(long generation) {
    CloudProfile p = new CloudProfile();
    p.setMetadata(
        new ObjectMetaBuilder()
            .withName("p")
            .withNamespace("default")
            .withUid("uid-p")
            .withGeneration(generation)
            .build());
    CloudProfileSpec spec = new CloudProfileSpec();
    spec.setProvider("counted");
    p.setSpec(spec);
    return p;
  }

  @Test
  void concurrentFirstUsesShareOneProviderAndNoneIsClosedUnderItsCaller() throws Exception {
    AtomicInteger creates = new AtomicInteger();
    List<Counted> made = new java.util.concurrent.CopyOnWriteArrayList<>();
    CloudProviderFactory factory =
        new CloudProviderFactory() {
          @Override
          public String type() {
            return "counted";
          }

          @Override
          public CloudProvider create(CloudProfile profile) {
            creates.incrementAndGet();
            try {
              Thread.sleep(50); // building clients and reading a Secret takes a while
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            Counted c = new Counted();
            made.add(c);
            return c;
          }
        };
    try (CloudProviders providers = new CloudProviders(List.of(factory))) {
      CountDownLatch go = new CountDownLatch(1);
      Set<CloudProvider> handed = ConcurrentHashMap.newKeySet();
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        Thread t =
            new Thread(
                () -> {
                  try {
                    go.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  handed.add(providers.forProfile(profile(1)));
                });
        threads.add(t);
        t.start();
      }
      go.countDown();
      for (Thread t : threads) {
        t.join();
      }
      assertThat(creates).hasValue(1);
      assertThat(handed).hasSize(1);
      assertThat(made).noneMatch(c -> c.closed);

      // A new generation replaces the provider and closes the old one.
      CloudProvider next = providers.forProfile(profile(2));
      assertThat(next).isNotSameAs(handed.iterator().next());
      assertThat(made.get(0).closed).isTrue();
      assertThat(providers.forProfile(profile(2))).isSameAs(next);
    }
  }
}
