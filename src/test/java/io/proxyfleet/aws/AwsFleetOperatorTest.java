package io.proxyfleet.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.aws.Ec2Settings;
import io.proxyfleet.testing.AwsTestCloud;
import io.proxyfleet.testing.AwsTestCloud.Network;
import io.proxyfleet.testing.Ec2FaultProxy;
import io.proxyfleet.testing.MotoServer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Address;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * The operator end to end on EC2 as moto emulates it: real JOSDK controllers on the embedded API,
 * the aws provider with its production settings, a fault proxy in front of moto that counts calls.
 * Each test uses its own fleet.
 */
class AwsFleetOperatorTest {

  @RegisterExtension static final MotoServer MOTO = new MotoServer();

  static final String EU = "eu-central-1";
  static final String US = "us-east-1";
  static final Duration TIMEOUT = Duration.ofMinutes(2);

  static Ec2FaultProxy faults;
  static Ec2Client eu;
  static Ec2Client us;
  static Network euNet;
  static Network usNet;
  static AwsEnvironment env;

  @BeforeAll
  static void start() throws Exception {
    faults = Ec2FaultProxy.start(MOTO.endpoint());
    eu = AwsTestCloud.admin(MOTO.endpoint(), EU);
    us = AwsTestCloud.admin(MOTO.endpoint(), US);
    euNet = AwsTestCloud.network(eu, EU, 3, "proxies");
    usNet = AwsTestCloud.network(us, US, 2, "proxies");
    env = new AwsEnvironment(Ec2Settings.defaults());
    env.apply(AwsEnvironment.profile("aws", faults.endpoint(), List.of(EU, US)));
  }

  @AfterAll
  static void stop() {
    if (env != null) {
      env.close();
    }
    faults.close();
    eu.close();
    us.close();
  }

  static Map<String, String> tags(List<Tag> tags) {
    return tags.stream().collect(Collectors.toMap(Tag::key, Tag::value));
  }

  static List<Instance> liveInstances(Ec2Client ec2, String fleet) {
    return ec2
        .describeInstances(
            b ->
                b.filters(
                    Filter.builder()
                        .name("tag:" + OwnerTags.FLEET)
                        .values("default/" + fleet)
                        .build(),
                    Filter.builder()
                        .name("instance-state-name")
                        .values("pending", "running", "stopping", "stopped", "shutting-down")
                        .build()))
        .reservations()
        .stream()
        .flatMap(r -> r.instances().stream())
        .toList();
  }

  static List<Address> addresses(Ec2Client ec2, String fleet) {
    return ec2.describeAddresses(
            b ->
                b.filters(
                    Filter.builder()
                        .name("tag:" + OwnerTags.FLEET)
                        .values("default/" + fleet)
                        .build()))
        .addresses();
  }

  @Test
  void aFleetAcrossTwoRegionsComesUpWithEveryResourceTagged() {
    env.apply(AwsEnvironment.blocklist("spread-list", List.of()));
    env.apply(AwsEnvironment.fleet("spread", 6, "aws", List.of(EU, US), "spread-list"));
    await().atMost(TIMEOUT).until(() -> env.fleetReady("spread", 6));

    List<Proxy> proxies = env.proxies("spread");
    Map<String, List<Proxy>> byRegion =
        proxies.stream().collect(Collectors.groupingBy(p -> p.getSpec().getRegion()));
    assertThat(byRegion).containsOnlyKeys(EU, US);
    assertThat(byRegion.get(EU).stream().map(p -> p.getSpec().getSubnet()).distinct().count())
        .as("spread over subnets")
        .isGreaterThan(1);
    for (Proxy p : proxies) {
      Ec2Client ec2 = p.getSpec().getRegion().equals(EU) ? eu : us;
      Instance i =
          ec2.describeInstances(b -> b.instanceIds(p.getStatus().getInstanceId()))
              .reservations()
              .get(0)
              .instances()
              .get(0);
      Map<String, String> expected =
          Map.of(
              OwnerTags.CLUSTER,
              AwsEnvironment.CLUSTER,
              OwnerTags.PROXY,
              p.getMetadata().getUid(),
              OwnerTags.FLEET,
              "default/spread",
              OwnerTags.NAME,
              p.getMetadata().getName(),
              "team",
              "tests");
      assertThat(tags(i.tags())).containsAllEntriesOf(expected);
      assertThat(i.metadataOptions().httpTokensAsString()).isEqualTo("required");
      assertThat(i.subnetId()).isEqualTo(p.getSpec().getSubnet());
      assertThat(p.getStatus().getSubnet())
          .as("status says where the instance really runs")
          .isEqualTo(i.subnetId());
      assertThat(p.getStatus().getZone()).isEqualTo(i.placement().availabilityZone());
      ec2.describeVolumes(
              b ->
                  b.filters(
                      Filter.builder()
                          .name("attachment.instance-id")
                          .values(i.instanceId())
                          .build()))
          .volumes()
          .forEach(v -> assertThat(tags(v.tags())).containsAllEntriesOf(expected));
      List<Address> own =
          ec2.describeAddresses(
                  b ->
                      b.filters(
                          Filter.builder()
                              .name("tag:" + OwnerTags.PROXY)
                              .values(p.getMetadata().getUid())
                              .build()))
              .addresses();
      assertThat(own)
          .as("exactly one address per proxy")
          .singleElement()
          .satisfies(
              a -> {
                assertThat(a.publicIp()).isEqualTo(p.getStatus().getPublicIp());
                assertThat(a.allocationId()).isEqualTo(p.getStatus().getAddressId());
                assertThat(a.instanceId()).isEqualTo(i.instanceId());
                assertThat(tags(a.tags())).containsAllEntriesOf(expected);
              });
    }
    // moto does not store tags of network interfaces; every launch asked EC2 to tag them.
    assertThat(faults.calls("RunInstances"))
        .isNotEmpty()
        .allSatisfy(
            c -> assertThat(c.params("TagSpecification.").values()).contains("network-interface"));
  }

  @Test
  void aBlockedIpMovesToACleanAddressAndTheOldOneIsReleased() {
    env.apply(AwsEnvironment.blocklist("block-list", List.of()));
    env.apply(AwsEnvironment.fleet("block", 3, "aws", List.of(EU), "block-list"));
    await().atMost(TIMEOUT).until(() -> env.fleetReady("block", 3));
    Map<String, String> before =
        env.proxies("block").stream()
            .collect(
                Collectors.toMap(p -> p.getMetadata().getName(), p -> p.getStatus().getPublicIp()));
    String victim = before.keySet().stream().sorted().findFirst().orElseThrow();
    String oldIp = before.get(victim);

    Map<String, Long> callsBefore = faults.counts();
    long t0 = System.nanoTime();
    env.client
        .resources(Blocklist.class)
        .withName("block-list")
        .edit(
            b -> {
              b.getSpec().setCidrs(List.of(oldIp + "/32"));
              return b;
            });
    await()
        .atMost(TIMEOUT)
        .until(
            () -> {
              Map<String, String> now =
                  env.running("block").stream()
                      .collect(
                          Collectors.toMap(
                              p -> p.getMetadata().getName(), p -> p.getStatus().getPublicIp()));
              return now.size() == 3 && now.containsKey(victim) && !oldIp.equals(now.get(victim));
            });
    long millis = (System.nanoTime() - t0) / 1_000_000;
    Map<String, Long> used = new HashMap<>();
    faults
        .counts()
        .forEach(
            (action, n) -> {
              long d = n - callsBefore.getOrDefault(action, 0L);
              if (d > 0) {
                used.put(action, d);
              }
            });
    System.out.printf(
        "Rotating one blocked IP against moto: %d ms, EC2 calls %s (total %d)%n",
        millis,
        new java.util.TreeMap<>(used),
        used.values().stream().mapToLong(Long::longValue).sum());

    Map<String, String> after =
        env.proxies("block").stream()
            .collect(
                Collectors.toMap(p -> p.getMetadata().getName(), p -> p.getStatus().getPublicIp()));
    assertThat(after.keySet()).as("same proxies (same VMs)").isEqualTo(before.keySet());
    before.forEach(
        (name, ip) -> {
          if (!name.equals(victim)) {
            assertThat(after.get(name)).as(name + " keeps its IP").isEqualTo(ip);
          }
        });
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              List<Address> all = addresses(eu, "block");
              assertThat(all)
                  .extracting(Address::publicIp)
                  .as("the old address is released")
                  .doesNotContain(oldIp);
              assertThat(all)
                  .as("exactly one address per proxy")
                  .hasSize(3)
                  .allSatisfy(a -> assertThat(a.instanceId()).isNotBlank());
            });
    assertThat(used.getOrDefault("RunInstances", 0L)).as("rotation keeps the VM").isZero();
  }

  @Test
  void deletingAFleetLeavesNoInstanceAndNoAddress() {
    env.apply(AwsEnvironment.blocklist("gone-list", List.of()));
    env.apply(AwsEnvironment.fleet("gone", 4, "aws", List.of(EU, US), "gone-list"));
    await().atMost(TIMEOUT).until(() -> env.fleetReady("gone", 4));
    assertThat(liveInstances(eu, "gone").size() + liveInstances(us, "gone").size()).isEqualTo(4);

    env.client.resources(ProxyFleet.class).inNamespace("default").withName("gone").delete();
    await().atMost(TIMEOUT).until(() -> env.proxies("gone").isEmpty() && env.fleet("gone") == null);
    assertThat(liveInstances(eu, "gone")).isEmpty();
    assertThat(liveInstances(us, "gone")).isEmpty();
    assertThat(addresses(eu, "gone")).isEmpty();
    assertThat(addresses(us, "gone")).isEmpty();
  }

  @Test
  void aTwentyProxyFleetReachesRunning() {
    env.apply(AwsEnvironment.blocklist("big-list", List.of()));
    long t0 = System.nanoTime();
    Map<String, Long> callsBefore = faults.counts();
    env.apply(AwsEnvironment.fleet("big", 20, "aws", List.of(EU), "big-list"));
    await().atMost(Duration.ofMinutes(4)).until(() -> env.fleetReady("big", 20));
    long millis = (System.nanoTime() - t0) / 1_000_000;
    long calls =
        faults.counts().entrySet().stream()
            .mapToLong(e -> e.getValue() - callsBefore.getOrDefault(e.getKey(), 0L))
            .sum();
    System.out.printf(
        "20-proxy fleet on moto (one region, default rate limits): all Running after %d ms, %d EC2 calls%n",
        millis, calls);
    assertThat(liveInstances(eu, "big")).hasSize(20);
    assertThat(addresses(eu, "big")).hasSize(20);
    Set<String> ips =
        env.proxies("big").stream()
            .map(p -> p.getStatus().getPublicIp())
            .collect(Collectors.toSet());
    assertThat(ips).hasSize(20);
  }
}
