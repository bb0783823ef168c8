package io.proxyfleet.cloud.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.proxyfleet.api.AwsImageSpec;
import io.proxyfleet.api.AwsProviderSpec;
import io.proxyfleet.api.AwsSubnetSelector;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.cloud.SecretReader;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.replay.SimulatedClock;
import io.proxyfleet.testing.AwsTestCloud;
import io.proxyfleet.testing.AwsTestCloud.Network;
import io.proxyfleet.testing.Ec2FaultProxy;
import io.proxyfleet.testing.MotoServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.Volume;

/** The EC2 adapter against moto, with a fault proxy in front for what moto cannot produce. */
class Ec2CloudProviderTest {

  @RegisterExtension static final MotoServer MOTO = new MotoServer();

  static final String EU = "eu-central-1";
  static final String US = "us-east-1";
  static final String CLUSTER = "test-cluster";
  static final ProxyCredentials CREDS = new ProxyCredentials("pf-user1", "s3cretPassw0rd");
  static final SecretReader KEYS =
      (ns, name) ->
          Optional.of(Map.of("accessKeyId", "AKIATESTKEY", "secretAccessKey", "testSecretValue"));
  static final Ec2Settings FAST =
      Ec2Settings.defaults()
          .withRetries(3, Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(50))
          .withRates(1000, 1000, 1000, 1000, Duration.ofSeconds(5));

  Ec2FaultProxy faults;
  Ec2Client eu;
  Ec2Client us;
  Network euNet;
  Network usNet;
  SimulatedClock clock;
  final List<Ec2CloudProvider> providers = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    MOTO.reset();
    faults = Ec2FaultProxy.start(MOTO.endpoint());
    eu = AwsTestCloud.admin(MOTO.endpoint(), EU);
    us = AwsTestCloud.admin(MOTO.endpoint(), US);
    euNet = AwsTestCloud.network(eu, EU, 3, "proxies");
    usNet = AwsTestCloud.network(us, US, 2, "proxies");
    clock = new SimulatedClock(java.time.Instant.now());
  }

  @AfterEach
  void tearDown() {
    providers.forEach(Ec2CloudProvider::close);
    faults.close();
    eu.close();
    us.close();
  }

  Ec2CloudProvider provider(AwsProviderSpec aws) {
    return provider(aws, Map.of(), FAST);
  }

  Ec2CloudProvider provider(AwsProviderSpec aws, Map<String, String> tags, Ec2Settings settings) {
    if (aws.getCredentialsSecret() == null) {
      io.proxyfleet.api.AwsCredentialsSecret s = new io.proxyfleet.api.AwsCredentialsSecret();
      s.setName("aws-keys");
      aws.setCredentialsSecret(s);
    }
    CloudProfile profile = AwsTestCloud.profile("aws", aws, tags);
    Ec2CloudProvider p =
        new Ec2CloudProviderFactory(CLUSTER, KEYS, settings, clock).create(profile);
    providers.add(p);
    return p;
  }

  AwsProviderSpec spec() {
    return AwsTestCloud.aws(faults.endpoint(), List.of(EU, US), "proxies");
  }

  static OwnerTags owner(String name) {
    return new OwnerTags(CLUSTER, "default", "fleet-a", name, UUID.randomUUID().toString());
  }

  static LaunchSpec launchSpec(OwnerTags owner, String region, String subnet) {
    return new LaunchSpec(owner, region, subnet, Protocol.SOCKS5, 1080, CREDS);
  }

  List<software.amazon.awssdk.services.ec2.model.Instance> liveInstances(
      Ec2Client ec2, String uid) {
    return ec2
        .describeInstances(
            b ->
                b.filters(
                    Filter.builder().name("tag:" + OwnerTags.PROXY).values(uid).build(),
                    Filter.builder()
                        .name("instance-state-name")
                        .values("pending", "running")
                        .build()))
        .reservations()
        .stream()
        .flatMap(r -> r.instances().stream())
        .toList();
  }

  static Map<String, String> tags(List<Tag> tags) {
    return tags.stream().collect(Collectors.toMap(Tag::key, Tag::value));
  }

  // --- launch ------------------------------------------------------------------------------------

  @Test
  void launchTagsInstanceVolumeAndInterfaceRequiresImdsV2AndSendsClientTokenAndUserData() {
    Ec2CloudProvider p =
        provider(
            spec(), Map.of("team", "censorship", OwnerTags.CLUSTER, "evil", "Name", "evil"), FAST);
    OwnerTags owner = owner("proxy-a");
    Instance launched = p.launch(launchSpec(owner, EU, euNet.subnetIds().get(0)));

    assertThat(launched.subnetId()).isEqualTo(euNet.subnetIds().get(0));
    assertThat(launched.zone()).isEqualTo(euNet.zones().get(0));
    assertThat(launched.ownerUid()).isEqualTo(owner.proxyUid());
    var described = liveInstances(eu, owner.proxyUid());
    assertThat(described).hasSize(1);
    Map<String, String> tags = tags(described.get(0).tags());
    assertThat(tags)
        .containsAllEntriesOf(owner.asTags())
        .containsEntry("team", "censorship")
        .as("extra tags never override ownership tags")
        .containsEntry(OwnerTags.CLUSTER, CLUSTER)
        .containsEntry("Name", "proxy-a");
    assertThat(described.get(0).metadataOptions().httpTokensAsString()).isEqualTo("required");

    List<Volume> volumes =
        eu.describeVolumes(
                b ->
                    b.filters(
                        Filter.builder()
                            .name("attachment.instance-id")
                            .values(launched.id())
                            .build()))
            .volumes();
    assertThat(volumes)
        .isNotEmpty()
        .allSatisfy(v -> assertThat(tags(v.tags())).containsAllEntriesOf(owner.asTags()));

    var run = faults.calls("RunInstances");
    assertThat(run).hasSize(1);
    Map<String, String> specs = run.get(0).params("TagSpecification.");
    assertThat(specs.values()).contains("instance", "volume", "network-interface");
    // moto does not apply network-interface tag specifications; what EC2 receives is asserted
    // instead.
    String eniIndex =
        specs.entrySet().stream()
            .filter(e -> e.getValue().equals("network-interface"))
            .findFirst()
            .orElseThrow()
            .getKey()
            .split("\\.")[1];
    Map<String, String> eniTags = new java.util.HashMap<>();
    for (int i = 1;
        run.get(0).param("TagSpecification." + eniIndex + ".Tag." + i + ".Key") != null;
        i++) {
      eniTags.put(
          run.get(0).param("TagSpecification." + eniIndex + ".Tag." + i + ".Key"),
          run.get(0).param("TagSpecification." + eniIndex + ".Tag." + i + ".Value"));
    }
    assertThat(eniTags).containsAllEntriesOf(owner.asTags()).containsEntry("team", "censorship");
    assertThat(run.get(0).param("ClientToken"))
        .startsWith(owner.proxyUid())
        .hasSizeLessThanOrEqualTo(64);
    assertThat(run.get(0).param("MetadataOptions.HttpTokens")).isEqualTo("required");
    String script =
        new String(
            Base64.getDecoder().decode(run.get(0).param("UserData")), StandardCharsets.UTF_8);
    assertThat(script)
        .startsWith("#!/bin/bash")
        .contains("dante-server")
        .doesNotContain(CREDS.password());
  }

  @Test
  void launchingTwiceForOneProxyGivesOneInstanceAlsoAfterACrash() {
    Ec2CloudProvider p = provider(spec());
    OwnerTags owner = owner("proxy-b");
    java.util.concurrent.atomic.AtomicReference<String> launchedByEc2 =
        new java.util.concurrent.atomic.AtomicReference<>();
    // The hook a crash test uses to stop the operator right after EC2 accepted the launch.
    faults.afterSuccess("RunInstances", call -> launchedByEc2.set(call.param("ClientToken")));
    Instance first = p.launch(launchSpec(owner, EU, euNet.subnetIds().get(1)));
    assertThat(launchedByEc2.get()).startsWith(owner.proxyUid());
    Instance again = p.launch(launchSpec(owner, EU, euNet.subnetIds().get(1)));
    assertThat(again.id()).isEqualTo(first.id());

    Ec2CloudProvider afterCrash = provider(spec());
    Instance third = afterCrash.launch(launchSpec(owner, EU, euNet.subnetIds().get(1)));
    assertThat(third.id()).isEqualTo(first.id());
    assertThat(afterCrash.findInstance(EU, owner.proxyUid()))
        .map(Instance::id)
        .contains(first.id());
    assertThat(liveInstances(eu, owner.proxyUid())).hasSize(1);
    assertThat(faults.count("RunInstances")).isEqualTo(1);
  }

  @Test
  void aLaunchedInstanceIsFoundAtOnceAndRunsAfterTheNextListing() {
    Ec2CloudProvider p = provider(spec());
    OwnerTags owner = owner("proxy-c");
    Instance launched = p.launch(launchSpec(owner, US, usNet.subnetIds().get(0)));
    assertThat(launched.state()).isEqualTo(Instance.State.PENDING);
    assertThat(p.findInstance(US, owner.proxyUid())).map(Instance::id).contains(launched.id());
    assertThat(p.findInstance(US, owner.proxyUid()))
        .map(Instance::state)
        .contains(Instance.State.RUNNING);
    assertThat(p.findInstance(EU, owner.proxyUid())).as("regions are separate").isEmpty();
  }

  @Test
  void terminateRemovesTheInstanceAndTerminatingAGoneOneIsFine() {
    Ec2CloudProvider p = provider(spec());
    OwnerTags owner = owner("proxy-d");
    Instance launched = p.launch(launchSpec(owner, EU, euNet.subnetIds().get(0)));
    p.terminate(EU, launched.id());
    assertThat(p.findInstance(EU, owner.proxyUid())).isEmpty();
    p.terminate(EU, launched.id());
    p.terminate(EU, "i-0123456789abcdef0");
    assertThat(p.listManagedInstances(EU, CLUSTER)).isEmpty();
  }

  // --- subnets, images, security groups
  // ------------------------------------------------------------

  @Test
  void subnetsResolveByTagsAndByIdsPerRegion() {
    Ec2CloudProvider byTags = provider(spec());
    assertThat(byTags.subnets(EU))
        .extracting(Subnet::id)
        .containsExactlyInAnyOrderElementsOf(euNet.subnetIds());
    assertThat(byTags.subnets(EU))
        .extracting(Subnet::zone)
        .containsExactlyElementsOf(euNet.zones());
    assertThat(byTags.subnets(EU))
        .allSatisfy(s -> assertThat(s.cidr()).startsWith("10.0.").endsWith("/24"));
    assertThat(byTags.subnets(US))
        .extracting(Subnet::id)
        .containsExactlyInAnyOrderElementsOf(usNet.subnetIds());

    AwsProviderSpec ids = spec();
    AwsSubnetSelector selector = new AwsSubnetSelector();
    selector.setIds(List.of(euNet.subnetIds().get(2), usNet.subnetIds().get(1)));
    ids.setSubnets(selector);
    Ec2CloudProvider byIds = provider(ids);
    assertThat(byIds.subnets(EU)).extracting(Subnet::id).containsExactly(euNet.subnetIds().get(2));
    assertThat(byIds.subnets(US)).extracting(Subnet::id).containsExactly(usNet.subnetIds().get(1));

    AwsProviderSpec none = spec();
    AwsSubnetSelector nothing = new AwsSubnetSelector();
    nothing.setTags(Map.of(AwsTestCloud.SUBNET_TAG, "nobody"));
    none.setSubnets(nothing);
    assertThatThrownBy(() -> provider(none).subnets(EU))
        .isInstanceOf(CloudException.class)
        .hasMessageContaining("spec.aws.subnets")
        .extracting(e -> ((CloudException) e).reason())
        .isEqualTo(Reason.INVALID);
    assertThatThrownBy(() -> byTags.subnets("ap-south-1"))
        .isInstanceOf(CloudException.class)
        .hasMessageContaining("spec.aws.regions");
  }

  @Test
  void subnetsAreCachedSoFleetResyncsCostNoCall() {
    Ec2CloudProvider p = provider(spec());
    p.subnets(EU);
    long before = faults.count("DescribeSubnets");
    for (int i = 0; i < 20; i++) {
      p.subnets(EU);
    }
    assertThat(faults.count("DescribeSubnets")).isEqualTo(before);
  }

  @Test
  void imageComesFromIdsOrFromOwnerAndNameNewestFirst() {
    String euAmi = AwsTestCloud.amazonLinux(eu).imageId();
    AwsProviderSpec byIds = spec();
    AwsImageSpec ids = new AwsImageSpec();
    ids.setIds(Map.of(EU, euAmi));
    byIds.setImage(ids);
    Ec2CloudProvider p = provider(byIds);
    Instance launched = p.launch(launchSpec(owner("img-1"), EU, euNet.subnetIds().get(0)));
    assertThat(
            eu.describeInstances(b -> b.instanceIds(launched.id()))
                .reservations()
                .get(0)
                .instances()
                .get(0)
                .imageId())
        .isEqualTo(euAmi);
    assertThat(faults.count("DescribeImages")).as("ids need no lookup").isZero();
    assertThatThrownBy(() -> p.launch(launchSpec(owner("img-2"), US, usNet.subnetIds().get(0))))
        .isInstanceOf(CloudException.class)
        .hasMessageContaining("spec.aws.image.ids has no AMI for region us-east-1");

    Ec2CloudProvider byName = provider(spec());
    Instance a = byName.launch(launchSpec(owner("img-3"), US, usNet.subnetIds().get(0)));
    Instance b = byName.launch(launchSpec(owner("img-4"), US, usNet.subnetIds().get(1)));
    String expected =
        Ec2CloudProvider.newest(
                us.describeImages(
                        r ->
                            r.owners("amazon")
                                .filters(
                                    Filter.builder()
                                        .name("name")
                                        .values("amzn2-ami-hvm-*-x86_64-gp2")
                                        .build()))
                    .images())
            .orElseThrow()
            .imageId();
    for (Instance i : List.of(a, b)) {
      assertThat(
              us.describeInstances(r -> r.instanceIds(i.id()))
                  .reservations()
                  .get(0)
                  .instances()
                  .get(0)
                  .imageId())
          .isEqualTo(expected);
    }
    assertThat(faults.count("DescribeImages"))
        .as("resolved once per region, then cached")
        .isEqualTo(1);
  }

  @Test
  void newestImageWinsByCreationDate() {
    var old =
        software.amazon.awssdk.services.ec2.model.Image.builder()
            .imageId("ami-0000000000000000a")
            .creationDate("2024-01-01T00:00:00.000Z")
            .build();
    var fresh =
        software.amazon.awssdk.services.ec2.model.Image.builder()
            .imageId("ami-0000000000000000b")
            .creationDate("2025-06-01T00:00:00.000Z")
            .build();
    var older =
        software.amazon.awssdk.services.ec2.model.Image.builder()
            .imageId("ami-0000000000000000c")
            .creationDate("2023-01-01T00:00:00.000Z")
            .build();
    assertThat(Ec2CloudProvider.newest(List.of(old, fresh, older)))
        .map(i -> i.imageId())
        .contains("ami-0000000000000000b");
    assertThat(Ec2CloudProvider.newest(List.of())).isEmpty();
  }

  @Test
  void managedSecurityGroupOpensOnlyTheProxyPortAndIsReused() {
    Ec2CloudProvider p = provider(spec());
    p.launch(launchSpec(owner("sg-1"), EU, euNet.subnetIds().get(0)));
    p.launch(
        new LaunchSpec(owner("sg-2"), EU, euNet.subnetIds().get(1), Protocol.SOCKS5, 1080, CREDS));
    Ec2CloudProvider restarted = provider(spec());
    restarted.launch(launchSpec(owner("sg-3"), EU, euNet.subnetIds().get(2)));

    List<SecurityGroup> groups =
        eu.describeSecurityGroups(
                b ->
                    b.filters(
                        Filter.builder().name("tag:" + OwnerTags.CLUSTER).values(CLUSTER).build()))
            .securityGroups();
    assertThat(groups)
        .as("one group per (VPC, port), found again by tag after a restart")
        .hasSize(1);
    SecurityGroup g = groups.get(0);
    assertThat(g.vpcId()).isEqualTo(euNet.vpcId());
    assertThat(tags(g.tags()))
        .containsEntry(Ec2CloudProvider.PORT_TAG, "1080")
        .containsEntry(OwnerTags.CLUSTER, CLUSTER);
    assertThat(g.ipPermissions())
        .singleElement()
        .satisfies(
            perm -> {
              assertThat(perm.ipProtocol()).isEqualTo("tcp");
              assertThat(perm.fromPort()).isEqualTo(1080);
              assertThat(perm.toPort()).isEqualTo(1080);
              assertThat(perm.ipRanges()).extracting(r -> r.cidrIp()).containsExactly("0.0.0.0/0");
              assertThat(perm.ipv6Ranges()).extracting(r -> r.cidrIpv6()).containsExactly("::/0");
            });
    assertThat(faults.count("CreateSecurityGroup")).isEqualTo(1);
    for (var call : faults.calls("RunInstances")) {
      assertThat(call.param("SecurityGroupId.1")).isEqualTo(g.groupId());
    }

    p.launch(
        new LaunchSpec(
            owner("sg-4"),
            EU,
            euNet.subnetIds().get(0),
            Protocol.HTTP,
            8080,
            new ProxyCredentials("u", "p")));
    assertThat(
            eu.describeSecurityGroups(
                    b ->
                        b.filters(
                            Filter.builder()
                                .name("tag:" + OwnerTags.CLUSTER)
                                .values(CLUSTER)
                                .build()))
                .securityGroups())
        .as("another port gets its own group")
        .hasSize(2);
  }

  @Test
  void listedSecurityGroupsAreUsedPerVpc() {
    String sg =
        eu.createSecurityGroup(b -> b.groupName("mine").description("mine").vpcId(euNet.vpcId()))
            .groupId();
    AwsProviderSpec s = spec();
    io.proxyfleet.api.AwsSecurityGroupSpec groups = new io.proxyfleet.api.AwsSecurityGroupSpec();
    groups.setIds(List.of(sg));
    s.setSecurityGroups(groups);
    Ec2CloudProvider p = provider(s);
    p.launch(launchSpec(owner("own-sg"), EU, euNet.subnetIds().get(0)));
    assertThat(faults.calls("RunInstances").get(0).param("SecurityGroupId.1")).isEqualTo(sg);
    assertThat(faults.count("CreateSecurityGroup")).isZero();
    assertThatThrownBy(() -> p.launch(launchSpec(owner("own-sg-us"), US, usNet.subnetIds().get(0))))
        .isInstanceOf(CloudException.class)
        .hasMessageContaining("spec.aws.securityGroups.ids");
  }

  // --- addresses ---------------------------------------------------------------------------------

  @Test
  void addressesAllocateAssociateRotateAndRelease() {
    Ec2CloudProvider p = provider(spec(), Map.of("team", "x"), FAST);
    OwnerTags owner = owner("addr-1");
    Instance instance = p.launch(launchSpec(owner, EU, euNet.subnetIds().get(0)));
    assertThat(p.findInstance(EU, owner.proxyUid()).orElseThrow().state())
        .isEqualTo(Instance.State.RUNNING);

    Address first = p.allocateAddress(EU, owner, Optional.of(euNet.subnetIds().get(0)));
    assertThat(first.id()).startsWith("eipalloc-");
    assertThat(first.tags())
        .containsAllEntriesOf(owner.asTags())
        .containsEntry("team", "x")
        .containsKey(Ec2CloudProvider.CREATED_TAG);
    assertThat(first.allocatedAt()).isNotNull();
    p.associateAddress(EU, instance.id(), first);
    Instance serving = p.findInstance(EU, owner.proxyUid()).orElseThrow();
    assertThat(serving.publicIp()).isEqualTo(first.ip());
    assertThat(serving.addressId()).isEqualTo(first.id());

    // Rotation as the reconciler does it: new address associated, then the old one released.
    Address second = p.allocateAddress(EU, owner, Optional.empty());
    p.associateAddress(EU, instance.id(), second);
    p.releaseAddress(EU, first);
    Instance moved = p.findInstance(EU, owner.proxyUid()).orElseThrow();
    assertThat(moved.publicIp()).isEqualTo(second.ip()).isNotEqualTo(first.ip());
    List<Address> listed = p.listManagedAddresses(EU, CLUSTER);
    assertThat(listed).extracting(Address::id).containsExactly(second.id());
    assertThat(listed.get(0).instanceId()).isEqualTo(instance.id());
    assertThat(listed.get(0).ownerUid()).isEqualTo(owner.proxyUid());

    p.releaseAddress(EU, first);
    p.releaseAddress(
        EU, new Address("eipalloc-0123456789abcdef0", EU, "1.2.3.4", null, Map.of(), null));
    p.terminate(EU, instance.id());
    p.releaseAddress(EU, second);
    assertThat(p.listManagedAddresses(EU, CLUSTER)).isEmpty();
    assertThat(eu.describeAddresses().addresses()).isEmpty();
  }

  @Test
  void associatingWithAnInstanceThatDoesNotRunFailsCleanly() {
    Ec2CloudProvider p = provider(spec());
    OwnerTags owner = owner("pending-1");
    Instance instance = p.launch(launchSpec(owner, EU, euNet.subnetIds().get(0)));
    Address a = p.allocateAddress(EU, owner, Optional.empty());
    eu.stopInstances(b -> b.instanceIds(instance.id()));
    clock.advance(Duration.ofMinutes(1));
    assertThat(p.findInstance(EU, owner.proxyUid()))
        .map(Instance::state)
        .contains(Instance.State.STOPPING);
    CloudException stopped = catchCloud(() -> p.associateAddress(EU, instance.id(), a));
    assertThat(stopped.reason()).isEqualTo(Reason.TRANSIENT);
    assertThat(stopped.getMessage())
        .contains("stopped")
        .contains("addresses are associated once it runs");
    assertThat(faults.count("AssociateAddress")).as("decided without asking EC2").isZero();
    assertThat(catchCloud(() -> p.associateAddress(EU, "i-0123456789abcdef0", a)).reason())
        .isEqualTo(Reason.NOT_FOUND);

    // EC2's own answer for an instance that is not ready (e.g. still pending there) is transient
    // too.
    eu.startInstances(b -> b.instanceIds(instance.id()));
    clock.advance(Duration.ofMinutes(1));
    faults.fail("AssociateAddress", 400, "IncorrectInstanceState");
    CloudException pending = catchCloud(() -> p.associateAddress(EU, instance.id(), a));
    assertThat(pending.reason()).isEqualTo(Reason.TRANSIENT);
    assertThat(pending.getMessage()).contains("IncorrectInstanceState");
  }

  @Test
  void listingsReturnOnlyThisClustersTaggedResources() {
    Ec2CloudProvider p = provider(spec());
    OwnerTags mine = owner("mine-1");
    Instance own = p.launch(launchSpec(mine, EU, euNet.subnetIds().get(0)));
    Address ownAddress = p.allocateAddress(EU, mine, Optional.empty());
    String ami = AwsTestCloud.amazonLinux(eu).imageId();
    // An untagged instance and address, and another cluster's, in the same account and region.
    eu.runInstances(b -> b.imageId(ami).minCount(1).maxCount(1).subnetId(euNet.subnetIds().get(0)));
    eu.allocateAddress(b -> b.domain("vpc"));
    OwnerTags theirs =
        new OwnerTags("other-cluster", "default", "f", "theirs", UUID.randomUUID().toString());
    Ec2CloudProvider other =
        new Ec2CloudProviderFactory("other-cluster", KEYS, FAST, clock)
            .create(AwsTestCloud.profile("aws", withKeys(spec()), Map.of()));
    providers.add(other);
    other.launch(launchSpec(theirs, EU, euNet.subnetIds().get(1)));
    other.allocateAddress(EU, theirs, Optional.empty());
    clock.advance(Duration.ofMinutes(1));

    assertThat(p.listManagedInstances(EU, CLUSTER))
        .extracting(Instance::id)
        .containsExactly(own.id());
    assertThat(p.listManagedAddresses(EU, CLUSTER))
        .extracting(Address::id)
        .containsExactly(ownAddress.id());
    assertThat(p.findInstance(EU, theirs.proxyUid()))
        .as("another cluster's proxy is invisible")
        .isEmpty();
    assertThat(p.listManagedInstances(EU, "other-cluster")).hasSize(1);
    assertThat(other.listManagedInstances(EU, "other-cluster"))
        .extracting(Instance::ownerUid)
        .containsExactly(theirs.proxyUid());
  }

  static AwsProviderSpec withKeys(AwsProviderSpec s) {
    io.proxyfleet.api.AwsCredentialsSecret secret = new io.proxyfleet.api.AwsCredentialsSecret();
    secret.setName("aws-keys");
    s.setCredentialsSecret(secret);
    return s;
  }

  // --- errors ------------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0} {2} -> {3}")
  @CsvSource({
    "RunInstances,        401, AuthFailure,                  UNAUTHORIZED,          credentialsSecret",
    "RunInstances,        403, UnauthorizedOperation,        UNAUTHORIZED,          aws-iam-policy.json",
    "RunInstances,        400, InvalidClientTokenId,         UNAUTHORIZED,          credentialsSecret",
    "RunInstances,        403, SignatureDoesNotMatch,        UNAUTHORIZED,          credentialsSecret",
    "RunInstances,        400, RequestExpired,               UNAUTHORIZED,          credentialsSecret",
    "RunInstances,        503, RequestLimitExceeded,         THROTTLED,             backing off",
    "RunInstances,        400, Throttling,                   THROTTLED,             backing off",
    "RunInstances,        400, InstanceLimitExceeded,        QUOTA_EXCEEDED,        quota",
    "RunInstances,        400, VcpuLimitExceeded,            QUOTA_EXCEEDED,        quota",
    "RunInstances,        400, InvalidSubnetID.NotFound,     INVALID,               spec.aws.subnets.ids",
    "RunInstances,        400, InvalidAMIID.NotFound,        INVALID,               spec.aws.image.ids[eu-central-1]",
    "RunInstances,        400, InvalidAMIID.Malformed,       INVALID,               spec.aws.image.ids[eu-central-1]",
    "RunInstances,        400, InvalidParameterValue,        INVALID,               spec.aws.instanceType",
    "RunInstances,        500, InternalError,                TRANSIENT,             InternalError",
    "AllocateAddress,     400, AddressLimitExceeded,         QUOTA_EXCEEDED,        quota",
    "AllocateAddress,     500, InsufficientAddressCapacity,  CAPACITY_UNAVAILABLE,  InsufficientAddressCapacity",
    "DescribeInstances,   401, AuthFailure,                  UNAUTHORIZED,          credentialsSecret",
    "DescribeSubnets,     400, InvalidSubnetID.NotFound,     INVALID,               spec.aws.subnets",
  })
  void ec2ErrorsAreClassified(String action, int status, String code, Reason reason, String hint) {
    AwsProviderSpec s = spec();
    AwsImageSpec ids = new AwsImageSpec();
    ids.setIds(Map.of(EU, AwsTestCloud.amazonLinux(eu).imageId()));
    s.setImage(ids);
    Ec2CloudProvider p = provider(s);
    faults.fail(action, status, code);
    OwnerTags owner = owner("err");
    CloudException e =
        catchCloud(
            () -> {
              if (action.equals("AllocateAddress")) {
                p.allocateAddress(EU, owner, Optional.empty());
              } else if (action.equals("DescribeInstances")) {
                p.findInstance(EU, owner.proxyUid());
              } else if (action.equals("DescribeSubnets")) {
                p.subnets(EU);
              } else {
                p.launch(launchSpec(owner, EU, euNet.subnetIds().get(0)));
              }
            });
    assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
    assertThat(e.getMessage())
        .contains(code)
        .contains(hint)
        .contains("CloudProfile default/aws")
        .doesNotContain("testSecretValue");
    assertThat(p.unavailableZones(EU)).as("only capacity errors mark zones").isEmpty();
  }

  @Test
  void messagesNeverCarryTheSecretKey() {
    Ec2CloudProvider p = provider(spec());
    faults.respond(
        "DescribeInstances",
        params ->
            Optional.of(
                Ec2FaultProxy.Reply.error(
                    403,
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match; string to sign used testSecretValue")));
    CloudException e = catchCloud(() -> p.findInstance(EU, "x"));
    assertThat(e.reason()).isEqualTo(Reason.UNAUTHORIZED);
    assertThat(e.getMessage()).doesNotContain("testSecretValue").contains("<redacted>");
    for (Throwable c = e; c != null; c = c.getCause()) {
      assertThat(String.valueOf(c.getMessage())).doesNotContain("testSecretValue");
    }
  }

  @Test
  void aMissingCredentialsSecretIsUnauthorizedNamingTheField() {
    CloudProfile profile = AwsTestCloud.profile("aws", withKeys(spec()), Map.of());
    Ec2CloudProvider p =
        new Ec2CloudProviderFactory(CLUSTER, SecretReader.none(), FAST, clock).create(profile);
    providers.add(p);
    CloudException e = catchCloud(p::verifyAccess);
    assertThat(e.reason()).isEqualTo(Reason.UNAUTHORIZED);
    assertThat(e.getMessage()).contains("spec.aws.credentialsSecret").contains("aws-keys");
  }

  @Test
  void verifyAccessSucceedsWithWorkingCredentialsAndAssumedRoles() {
    Ec2CloudProvider p = provider(spec());
    p.verifyAccess();
    assertThat(p.callCounts())
        .containsKeys(EU + " DescribeAvailabilityZones", US + " DescribeAvailabilityZones");

    AwsProviderSpec role = spec();
    role.setAssumeRoleArn("arn:aws:iam::123456789012:role/proxyfleet");
    role.setExternalId("fleet-ext-id");
    Ec2CloudProvider assumed = provider(role);
    assumed.verifyAccess();
    assertThat(faults.calls("AssumeRole"))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.param("RoleArn")).isEqualTo("arn:aws:iam::123456789012:role/proxyfleet");
              assertThat(c.param("ExternalId")).isEqualTo("fleet-ext-id");
              assertThat(c.param("RoleSessionName")).isEqualTo("proxyfleet-" + CLUSTER);
            });
  }

  @Test
  void terminateAndReleaseOfGoneResourcesAreNotErrorsButOtherFailuresAre() {
    Ec2CloudProvider p = provider(spec());
    faults.fail("TerminateInstances", 400, "InvalidInstanceID.NotFound");
    p.terminate(EU, "i-0123456789abcdef0");
    faults.fail("ReleaseAddress", 400, "InvalidAllocationID.NotFound");
    p.releaseAddress(
        EU, new Address("eipalloc-0123456789abcdef0", EU, "1.2.3.4", null, Map.of(), null));
    faults.clearFaults().fail("ReleaseAddress", 400, "InvalidIPAddress.InUse");
    CloudException inUse =
        catchCloud(
            () ->
                p.releaseAddress(
                    EU,
                    new Address(
                        "eipalloc-0123456789abcdef1", EU, "1.2.3.5", "i-1", Map.of(), null)));
    assertThat(inUse.reason()).isEqualTo(Reason.TRANSIENT);
    assertThat(inUse.getMessage()).contains("InvalidIPAddress.InUse");
  }

  // --- capacity ----------------------------------------------------------------------------------

  @Test
  void insufficientCapacityMovesToAnotherZoneUntilTheHoldExpires() {
    Ec2CloudProvider p = provider(spec(), Map.of(), FAST.withCapacityHold(Duration.ofMinutes(5)));
    String full = euNet.subnetIds().get(0);
    faults.fail(
        "RunInstances",
        params -> full.equals(params.get("SubnetId")),
        500,
        "InsufficientInstanceCapacity",
        Integer.MAX_VALUE);

    OwnerTags a = owner("cap-a");
    Instance launched = p.launch(launchSpec(a, EU, full));
    assertThat(launched.subnetId()).isNotEqualTo(full);
    assertThat(launched.zone()).isNotEqualTo(euNet.zones().get(0));
    assertThat(p.unavailableZones(EU)).containsExactly(euNet.zones().get(0));
    assertThat(p.unavailableZones(US)).isEmpty();

    long attemptsBefore =
        faults.calls("RunInstances").stream().filter(c -> full.equals(c.param("SubnetId"))).count();
    p.launch(launchSpec(owner("cap-b"), EU, full));
    assertThat(
            faults.calls("RunInstances").stream()
                .filter(c -> full.equals(c.param("SubnetId")))
                .count())
        .as("an unavailable zone is skipped without asking EC2")
        .isEqualTo(attemptsBefore);

    clock.advance(Duration.ofMinutes(6));
    assertThat(p.unavailableZones(EU)).as("the hold expires with the clock").isEmpty();
    faults.clearFaults();
    Instance back = p.launch(launchSpec(owner("cap-c"), EU, full));
    assertThat(back.subnetId()).isEqualTo(full);
  }

  @Test
  void capacityUnavailableOnlyWhenEveryZoneIsFull() {
    Ec2CloudProvider p = provider(spec());
    faults.fail("RunInstances", 500, "InsufficientInstanceCapacity");
    CloudException e =
        catchCloud(() -> p.launch(launchSpec(owner("full"), EU, euNet.subnetIds().get(1))));
    assertThat(e.reason()).isEqualTo(Reason.CAPACITY_UNAVAILABLE);
    assertThat(p.unavailableZones(EU)).containsExactlyInAnyOrderElementsOf(euNet.zones());
    assertThat(e.getMessage()).contains("t3.micro").contains(EU);
    faults.clearFaults().fail("RunInstances", 400, "Unsupported");
    CloudException unsupported =
        catchCloud(() -> p.launch(launchSpec(owner("unsupported"), US, usNet.subnetIds().get(0))));
    assertThat(unsupported.reason()).isEqualTo(Reason.CAPACITY_UNAVAILABLE);
    assertThat(p.unavailableZones(US)).containsExactlyInAnyOrderElementsOf(usNet.zones());
  }

  // --- throttling
  // ----------------------------------------------------------------------------------

  @Test
  void throttlingEveryThirdCallStillLaunchesAndAddressesWithoutDuplicates() {
    Ec2CloudProvider p =
        provider(
            spec(),
            Map.of(),
            FAST.withRetries(
                4, Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(50)));
    faults.throttleEvery(3);
    List<OwnerTags> owners = List.of(owner("thr-1"), owner("thr-2"), owner("thr-3"));
    for (int i = 0; i < owners.size(); i++) {
      OwnerTags o = owners.get(i);
      String subnet = euNet.subnetIds().get(i);
      Instance instance = retryThrottled(() -> p.launch(launchSpec(o, EU, subnet)));
      clock.advance(Duration.ofSeconds(10));
      retryThrottled(
          () ->
              p.findInstance(EU, o.proxyUid())
                  .filter(x -> x.state() == Instance.State.RUNNING)
                  .orElseThrow());
      Address a = retryThrottled(() -> p.allocateAddress(EU, o, Optional.empty()));
      retryThrottled(
          () -> {
            p.associateAddress(EU, instance.id(), a);
            return null;
          });
    }
    assertThat(faults.throttledCalls()).isPositive();
    for (OwnerTags o : owners) {
      assertThat(liveInstances(eu, o.proxyUid())).as("no duplicate instance").hasSize(1);
    }
    clock.advance(Duration.ofSeconds(10));
    faults.clearFaults();
    assertThat(p.listManagedAddresses(EU, CLUSTER))
        .hasSize(3)
        .allSatisfy(a -> assertThat(a.instanceId()).isNotNull());
    assertThat(p.unavailableZones(EU))
        .as("throttling is never mistaken for missing capacity")
        .isEmpty();
    assertThat(p.calls().attempts().values().stream().mapToLong(Long::longValue).sum())
        .as("the SDK retried throttled calls")
        .isGreaterThan(p.calls().totalCalls());
  }

  @Test
  void persistentThrottlingSurfacesAsThrottledAfterBoundedRetries() {
    Ec2CloudProvider p = provider(spec());
    faults.fail("DescribeInstances", 503, "RequestLimitExceeded");
    long t0 = System.nanoTime();
    CloudException e = catchCloud(() -> p.findInstance(EU, "x"));
    assertThat(e.reason()).isEqualTo(Reason.THROTTLED);
    assertThat(faults.count("DescribeInstances")).as("maxAttempts bounds the retries").isEqualTo(3);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void clientSideRateLimitSurfacesAsThrottledInsteadOfWaitingLong() {
    Ec2CloudProvider p =
        provider(
            spec(),
            Map.of(),
            FAST.withSnapshotTtl(Duration.ZERO).withRates(0.5, 2, 0.5, 2, Duration.ofMillis(100)));
    p.findInstance(EU, "a");
    CloudException e =
        catchCloud(
            () -> {
              for (int i = 0; i < 5; i++) {
                p.findInstance(EU, "a");
              }
            });
    assertThat(e.reason()).isEqualTo(Reason.THROTTLED);
    assertThat(e.getMessage()).contains("client-side rate limit");
  }

  // --- API economy -------------------------------------------------------------------------------

  @Test
  void steadyStateResyncCostsTheSameCallsFor10And100Proxies() {
    long small = resyncCalls(10);
    long large = resyncCalls(100);
    System.out.printf(
        "EC2 calls per steady-state resync (findInstance for every proxy + subnets): 10 proxies: %d, 100 proxies: %d%n",
        small, large);
    assertThat(large).isEqualTo(small);
    assertThat(small).isLessThanOrEqualTo(2);
  }

  long resyncCalls(int proxies) {
    Ec2CloudProvider p = provider(spec(), Map.of(), FAST.withSnapshotTtl(Duration.ofSeconds(5)));
    String ami = AwsTestCloud.amazonLinux(eu).imageId();
    List<String> uids = new ArrayList<>();
    for (int i = 0; i < proxies; i++) {
      OwnerTags o = owner("eco-" + proxies + "-" + i);
      uids.add(o.proxyUid());
      // Launched with the admin client: the adapter must find them by tag.
      eu.runInstances(
          b ->
              b.imageId(ami)
                  .minCount(1)
                  .maxCount(1)
                  .subnetId(euNet.subnetIds().get(o.proxyName().hashCode() & 1))
                  .tagSpecifications(
                      software.amazon.awssdk.services.ec2.model.TagSpecification.builder()
                          .resourceType("instance")
                          .tags(
                              o.asTags().entrySet().stream()
                                  .map(
                                      e ->
                                          Tag.builder().key(e.getKey()).value(e.getValue()).build())
                                  .toList())
                          .build()));
    }
    for (String uid : uids) {
      p.findInstance(EU, uid);
    }
    p.subnets(EU);
    clock.advance(Duration.ofSeconds(30));
    long before = p.calls().totalCalls();
    for (String uid : uids) {
      assertThat(p.findInstance(EU, uid)).isPresent();
    }
    p.subnets(EU);
    p.listManagedInstances(EU, CLUSTER);
    p.listManagedAddresses(EU, CLUSTER);
    long calls = p.calls().totalCalls() - before;
    for (String uid : uids) {
      eu.terminateInstances(b -> b.instanceIds(liveInstances(eu, uid).get(0).instanceId()));
    }
    return calls;
  }

  @Test
  void describeInstancesFollowsNextTokenPages() {
    Ec2CloudProvider p = provider(spec());
    OwnerTags a = owner("page-a");
    OwnerTags b = owner("page-b");
    Instance ia = p.launch(launchSpec(a, EU, euNet.subnetIds().get(0)));
    Instance ib = p.launch(launchSpec(b, EU, euNet.subnetIds().get(1)));
    clock.advance(Duration.ofMinutes(1));
    // Moto ignores MaxResults: the proxy serves the listing as two pages, one instance each.
    faults.respond(
        "DescribeInstances",
        params -> {
          if (params.get("MaxResults") == null) {
            return Optional.empty();
          }
          String id = params.get("NextToken") == null ? ia.id() : ib.id();
          String next = params.get("NextToken") == null ? "<nextToken>page-2</nextToken>" : "";
          String uid = id.equals(ia.id()) ? a.proxyUid() : b.proxyUid();
          return Optional.of(
              new Ec2FaultProxy.Reply(
                  200,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                      + "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId><reservationSet><item>"
                      + "<reservationId>r-1</reservationId><instancesSet><item><instanceId>"
                      + id
                      + "</instanceId>"
                      + "<instanceState><code>16</code><name>running</name></instanceState><subnetId>"
                      + euNet.subnetIds().get(0)
                      + "</subnetId>"
                      + "<placement><availabilityZone>"
                      + euNet.zones().get(0)
                      + "</availabilityZone></placement>"
                      + "<tagSet><item><key>"
                      + OwnerTags.CLUSTER
                      + "</key><value>"
                      + CLUSTER
                      + "</value></item>"
                      + "<item><key>"
                      + OwnerTags.PROXY
                      + "</key><value>"
                      + uid
                      + "</value></item></tagSet>"
                      + "</item></instancesSet></item></reservationSet>"
                      + next
                      + "</DescribeInstancesResponse>"));
        });
    assertThat(p.listManagedInstances(EU, CLUSTER))
        .extracting(Instance::id)
        .containsExactlyInAnyOrder(ia.id(), ib.id());
    assertThat(
            faults.calls("DescribeInstances").stream()
                .filter(c -> "page-2".equals(c.param("NextToken"))))
        .hasSize(1);
    assertThat(
            faults.calls("DescribeInstances").stream().filter(c -> c.param("MaxResults") != null))
        .allSatisfy(c -> assertThat(c.param("MaxResults")).isEqualTo("500"));
  }

  @Test
  void concurrentLookupsShareOneListing() throws Exception {
    Ec2CloudProvider p = provider(spec());
    p.launch(launchSpec(owner("sf-1"), EU, euNet.subnetIds().get(0)));
    clock.advance(Duration.ofMinutes(1));
    faults.resetCounts();
    var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        futures.add(pool.submit(() -> p.findInstance(EU, "anyone")));
      }
      for (var f : futures) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    assertThat(faults.count("DescribeInstances")).as("single flight").isEqualTo(1);
  }

  @Test
  void callCountsNameRegionAndOperationAndMatchTheDeclaredOperations() {
    Ec2CloudProvider p = provider(spec());
    OwnerTags o = owner("ops");
    Instance i = p.launch(launchSpec(o, EU, euNet.subnetIds().get(0)));
    clock.advance(Duration.ofMinutes(1));
    p.findInstance(EU, o.proxyUid());
    Address a = p.allocateAddress(EU, o, Optional.empty());
    p.associateAddress(EU, i.id(), a);
    p.listManagedAddresses(EU, CLUSTER);
    p.terminate(EU, i.id());
    p.releaseAddress(EU, a);
    p.verifyAccess();
    assertThat(p.callCounts())
        .containsKeys(
            EU + " RunInstances",
            EU + " DescribeInstances",
            EU + " AllocateAddress",
            EU + " AssociateAddress",
            EU + " ReleaseAddress",
            EU + " TerminateInstances",
            EU + " DescribeSubnets",
            EU + " DescribeImages",
            EU + " DescribeSecurityGroups",
            EU + " CreateSecurityGroup",
            EU + " AuthorizeSecurityGroupIngress",
            EU + " DescribeAddresses",
            EU + " DescribeAvailabilityZones");
    assertThat(Ec2CloudProvider.OPERATIONS).containsAll(p.calls().operations());
    assertThat(p.calls().operations()).containsAll(Ec2CloudProvider.OPERATIONS);
  }

  // --- helpers -----------------------------------------------------------------------------------

  static CloudException catchCloud(Runnable r) {
    try {
      r.run();
    } catch (CloudException e) {
      return e;
    }
    throw new AssertionError("expected a CloudException");
  }

  /** What a reconciler does on THROTTLED: come back later. */
  static <T> T retryThrottled(java.util.function.Supplier<T> call) {
    for (int i = 0; ; i++) {
      try {
        return call.get();
      } catch (CloudException e) {
        if ((e.reason() != Reason.THROTTLED && e.reason() != Reason.TRANSIENT) || i > 20) {
          throw e;
        }
      } catch (java.util.NoSuchElementException e) {
        if (i > 20) {
          throw e;
        }
      }
    }
  }

  static Set<String> set(String... s) {
    return Set.of(s);
  }
}
