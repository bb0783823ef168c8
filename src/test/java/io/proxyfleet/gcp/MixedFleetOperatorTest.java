package io.proxyfleet.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.aws.Ec2CloudProviderFactory;
import io.proxyfleet.cloud.aws.Ec2Settings;
import io.proxyfleet.cloud.gcp.GceCloudProviderFactory;
import io.proxyfleet.cloud.gcp.GcpSettings;
import io.proxyfleet.cloud.local.LocalCloudProviderFactory;
import io.proxyfleet.cloud.local.LoopbackNetwork;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.local.CustomResourceDefinitions;
import io.proxyfleet.operator.KubernetesSecretReader;
import io.proxyfleet.operator.OperatorSettings;
import io.proxyfleet.operator.ProxyFleetOperator;
import io.proxyfleet.testing.AwsTestCloud;
import io.proxyfleet.testing.MotoServer;
import io.proxyfleet.testing.TestData;
import io.proxyfleet.testing.gce.FakeCompute;
import io.proxyfleet.testing.gce.GcpTestCloud;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;

/**
 * One fleet over three clouds at once: EC2 as moto emulates it, Compute Engine as {@link
 * FakeCompute} serves it and the loopback cloud, each behind its own CloudProfile, driven by the
 * real operator on the embedded API. A censor then burns the AWS region (every prefix AWS publishes
 * for it, plus the addresses moto handed out, which a real EC2 would have drawn from those
 * prefixes): the AWS share moves to GCP by the placement weights, and deleting the fleet leaves
 * nothing in any cloud.
 */
class MixedFleetOperatorTest {

  @RegisterExtension static final MotoServer MOTO = new MotoServer();

  static final String CLUSTER = "mixed-test";
  static final String AWS_REGION = "eu-central-1";
  static final String GCP_REGION = "europe-west3";
  // A loopback region other tests do not use: local proxies bind real sockets on 127.97.S.H.
  static final String LOCAL_REGION = "local-97";
  static final Duration TIMEOUT = Duration.ofMinutes(3);

  static FakeCompute fake;
  static Ec2Client ec2;
  static LoopbackNetwork loopback;
  static EmbeddedKubernetes api;
  static KubernetesClient client;
  static CloudProviders providers;
  static ProxyFleetOperator operator;

  @BeforeAll
  static void start() {
    fake = new FakeCompute("mixed-project-1");
    ec2 = AwsTestCloud.admin(MOTO.endpoint(), AWS_REGION);
    AwsTestCloud.network(ec2, AWS_REGION, 2, "proxies");
    loopback = new LoopbackNetwork(Clock.systemUTC(), new SplittableRandom(97));
    String key =
        GcpTestCloud.serviceAccountKey(
            fake, "proxyfleet@mixed-project-1.iam.gserviceaccount.com", true);
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    api.installCrds(CustomResourceDefinitions.all());
    client = api.client();
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build())
        .createOr(NonDeletingOperation::update);
    client
        .secrets()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(GcpTestCloud.SECRET)
                .withNamespace("default")
                .endMetadata()
                .addToStringData("key.json", key)
                .build())
        .createOr(NonDeletingOperation::update);
    client
        .secrets()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("aws-keys")
                .withNamespace("default")
                .endMetadata()
                .addToStringData("accessKeyId", "AKIAMOTOTEST")
                .addToStringData("secretAccessKey", "motoSecretKey")
                .build())
        .createOr(NonDeletingOperation::update);
    KubernetesSecretReader secrets = new KubernetesSecretReader(client);
    providers =
        new CloudProviders(
            List.of(
                new Ec2CloudProviderFactory(
                    CLUSTER, secrets, Ec2Settings.defaults(), Clock.systemUTC()),
                new GceCloudProviderFactory(
                    CLUSTER,
                    secrets,
                    GcpSettings.defaults().withSnapshotTtl(Duration.ofSeconds(1)),
                    Clock.systemUTC(),
                    new Random(97)),
                new LocalCloudProviderFactory(loopback)));
    operator =
        new ProxyFleetOperator(
            client,
            providers,
            new OperatorSettings(
                CLUSTER,
                10,
                8,
                Clock.systemUTC(),
                new SplittableRandom(97),
                new SecureRandom(),
                new io.proxyfleet.blocklist.SourceAccess("default", OperatorSettings.LOOPBACK)),
            Optional.empty());
    operator.start();
    apply(
        """
        apiVersion: proxyfleet.io/v1alpha1
        kind: CloudProfile
        metadata: {name: aws, namespace: default}
        spec:
          provider: aws
          aws:
            regions: [%s]
            endpoint: %s
            credentialsSecret: {name: aws-keys}
            image: {owner: amazon, name: "amzn2-ami-hvm-*-x86_64-gp2"}
            subnets: {tags: {proxyfleet.io/use: proxies}}
        ---
        apiVersion: proxyfleet.io/v1alpha1
        kind: CloudProfile
        metadata: {name: gcp, namespace: default}
        spec:
          provider: gcp
          gcp:
            project: mixed-project-1
            endpoint: %s
            credentialsSecret: {name: %s}
            regions: [{name: %s}]
        ---
        apiVersion: proxyfleet.io/v1alpha1
        kind: CloudProfile
        metadata: {name: local, namespace: default}
        spec:
          provider: local
          local: {subnetsPerRegion: 2}
        """
            .formatted(
                AWS_REGION, MOTO.endpoint(), fake.endpoint(), GcpTestCloud.SECRET, GCP_REGION));
  }

  @AfterAll
  static void stop() {
    try {
      if (operator != null) {
        operator.close();
      }
    } finally {
      if (providers != null) {
        providers.close();
      }
      if (client != null) {
        client.close();
      }
      if (api != null) {
        api.close();
      }
      if (ec2 != null) {
        ec2.close();
      }
      if (loopback != null) {
        loopback.close();
      }
      if (fake != null) {
        fake.close();
      }
    }
  }

  static void apply(String yaml) {
    client
        .load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
        .items()
        .forEach(item -> client.resource(item).createOr(NonDeletingOperation::update));
  }

  static List<Proxy> proxies() {
    return client
        .resources(Proxy.class)
        .inNamespace("default")
        .withLabel("proxyfleet.io/fleet", "mixed")
        .list()
        .getItems();
  }

  static List<Proxy> running() {
    return proxies().stream()
        .filter(
            p ->
                p.getMetadata().getDeletionTimestamp() == null
                    && p.getStatus() != null
                    && p.getStatus().getPhase() == ProxyPhase.Running
                    && p.getStatus().getBlockedBy() == null
                    && p.getStatus().getPublicIp() != null)
        .toList();
  }

  /** Running, unblocked proxies per CloudProfile. */
  static Map<String, Long> runningPerProfile() {
    return running().stream()
        .collect(Collectors.groupingBy(p -> p.getSpec().getCloudProfile(), Collectors.counting()));
  }

  static boolean ready(Map<String, Long> perProfile) {
    ProxyFleet f =
        client.resources(ProxyFleet.class).inNamespace("default").withName("mixed").get();
    long replicas = perProfile.values().stream().mapToLong(Long::longValue).sum();
    return f != null
        && f.getStatus() != null
        && f.getStatus().getReadyReplicas() != null
        && f.getStatus().getReadyReplicas() == replicas
        && proxies().size() == replicas
        && runningPerProfile().equals(perProfile);
  }

  static void awaitReady(Map<String, Long> perProfile) {
    try {
      await().atMost(TIMEOUT).until(() -> ready(perProfile));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("fleet not ready as " + perProfile + ":\n" + describe(), e);
    }
  }

  /** The fleet's and its proxies' state, for a failure message. */
  static String describe() {
    StringBuilder out = new StringBuilder();
    ProxyFleet f =
        client.resources(ProxyFleet.class).inNamespace("default").withName("mixed").get();
    Blocklist list = client.resources(Blocklist.class).withName("mixed-censor").get();
    out.append("blocklist status: ")
        .append(
            list == null
                ? null
                : io.fabric8.kubernetes.client.utils.Serialization.asYaml(list.getStatus()));
    out.append("fleet status: ")
        .append(
            f == null
                ? null
                : io.fabric8.kubernetes.client.utils.Serialization.asYaml(f.getStatus()))
        .append('\n');
    for (Proxy p : proxies()) {
      out.append(p.getMetadata().getName())
          .append(' ')
          .append(p.getSpec().getCloudProfile())
          .append(' ')
          .append(p.getSpec().getRegion())
          .append(": ")
          .append(io.fabric8.kubernetes.client.utils.Serialization.asYaml(p.getStatus()))
          .append('\n');
    }
    return out.toString();
  }

  /**
   * Every prefix AWS publishes for the region in the range file the operator ships (and reads
   * placement from).
   */
  static List<String> publishedAwsPrefixes(String region) throws IOException {
    JsonNode doc = new ObjectMapper().readTree(TestData.bytes(TestData.AWS_2025));
    TreeSet<String> out = new TreeSet<>();
    doc.path("prefixes")
        .forEach(
            p -> {
              if (region.equals(p.path("region").asText())) {
                out.add(p.path("ip_prefix").asText());
              }
            });
    return new ArrayList<>(out);
  }

  static List<software.amazon.awssdk.services.ec2.model.Instance> awsInstances() {
    return ec2
        .describeInstances(
            b ->
                b.filters(
                    Filter.builder().name("tag:" + OwnerTags.CLUSTER).values(CLUSTER).build(),
                    Filter.builder()
                        .name("instance-state-name")
                        .values("pending", "running", "stopping", "stopped", "shutting-down")
                        .build()))
        .reservations()
        .stream()
        .flatMap(r -> r.instances().stream())
        .toList();
  }

  static List<software.amazon.awssdk.services.ec2.model.Address> awsAddresses() {
    return ec2.describeAddresses(
            b ->
                b.filters(
                    Filter.builder().name("tag:" + OwnerTags.CLUSTER).values(CLUSTER).build()))
        .addresses();
  }

  static List<JsonNode> gcpInstances() {
    return fake.instances().values().stream()
        .filter(i -> CLUSTER.equals(i.path("labels").path("proxyfleet-cluster").asText()))
        .toList();
  }

  static List<JsonNode> gcpAddresses() {
    return fake.addresses().values().stream()
        .filter(a -> CLUSTER.equals(a.path("labels").path("proxyfleet-cluster").asText()))
        .toList();
  }

  static List<io.proxyfleet.cloud.Instance> localInstances() {
    CloudProfile local =
        client.resources(CloudProfile.class).inNamespace("default").withName("local").get();
    return providers.forProfile(local).listManagedInstances(LOCAL_REGION, CLUSTER);
  }

  @Test
  void aBurnedAwsRegionMovesItsShareToGcpAndDeletingTheFleetLeavesNothingInAnyCloud()
      throws IOException {
    // Burning a whole AWS region is 5 million addresses at once, the kind of jump the list's guard
    // holds for an engineer to accept; this list is told to expect it (a /8 may come in freely).
    apply(
        "apiVersion: proxyfleet.io/v1alpha1\nkind: Blocklist\nmetadata: {name: mixed-censor}\nspec:\n  cidrs: []\n"
            + "  guard: {growthFloor: 16777216}\n");
    // Weights 1:2:1 over 4 replicas give 1 on AWS, 2 on GCP and 1 local; with AWS out, 2:1 over
    // 4 gives GCP 3 (largest remainder) and local keeps its 1: the AWS share moves to GCP.
    apply(
        """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: mixed, namespace: default}
        spec:
          replicas: 4
          protocol: socks5
          port: 1080
          placement:
            - {cloudProfile: aws, regions: [%s], weight: 1}
            - {cloudProfile: gcp, regions: [%s], weight: 2}
            - {cloudProfile: local, regions: [%s], weight: 1}
          blocklists: [mixed-censor]
        """
            .formatted(AWS_REGION, GCP_REGION, LOCAL_REGION));
    awaitReady(Map.of("aws", 1L, "gcp", 2L, "local", 1L));

    // One instance and one address per proxy, in the cloud its profile names.
    assertThat(awsInstances()).hasSize(1);
    assertThat(awsAddresses())
        .singleElement()
        .satisfies(a -> assertThat(a.instanceId()).isEqualTo(awsInstances().get(0).instanceId()));
    assertThat(gcpInstances()).hasSize(2);
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(gcpAddresses()).hasSize(2));
    assertThat(localInstances()).hasSize(1);
    for (Proxy p : running()) {
      String ip = p.getStatus().getPublicIp();
      switch (p.getSpec().getCloudProfile()) {
        case "aws" -> assertThat(awsAddresses()).extracting(a -> a.publicIp()).containsExactly(ip);
        case "gcp" ->
            assertThat(gcpAddresses())
                .filteredOn(
                    a ->
                        a.path("labels")
                            .path("proxyfleet-proxy")
                            .asText()
                            .equals(p.getMetadata().getUid()))
                .singleElement()
                .satisfies(a -> assertThat(a.path("address").asText()).isEqualTo(ip));
        default -> assertThat(ip).startsWith("127.97.");
      }
    }
    List<String> awsIps =
        running().stream()
            .filter(p -> p.getSpec().getCloudProfile().equals("aws"))
            .map(p -> p.getStatus().getPublicIp())
            .toList();
    List<String> gcpBefore =
        running().stream()
            .filter(p -> p.getSpec().getCloudProfile().equals("gcp"))
            .map(p -> p.getMetadata().getName())
            .toList();
    String localBefore =
        running().stream()
            .filter(p -> p.getSpec().getCloudProfile().equals("local"))
            .map(p -> p.getMetadata().getName())
            .findFirst()
            .orElseThrow();

    // The censor burns the AWS region: every published prefix of eu-central-1, and the address moto
    // gave the proxy (moto draws it from outside the published ranges, whatever the region).
    List<String> burned = new ArrayList<>(publishedAwsPrefixes(AWS_REGION));
    assertThat(burned).hasSizeGreaterThan(100);
    awsIps.forEach(ip -> burned.add(ip + "/32"));
    client
        .resources(Blocklist.class)
        .withName("mixed-censor")
        .edit(
            b -> {
              b.getSpec().setCidrs(burned);
              return b;
            });

    awaitReady(Map.of("gcp", 3L, "local", 1L));
    assertThat(running())
        .extracting(p -> p.getMetadata().getName())
        .as("the GCP and local proxies stay where they were")
        .containsAll(gcpBefore)
        .contains(localBefore);
    ProxyFleet fleet =
        client.resources(ProxyFleet.class).inNamespace("default").withName("mixed").get();
    assertThat(fleet.getStatus().getRegions())
        .filteredOn(r -> r.getRegion().equals(AWS_REGION))
        .singleElement()
        .satisfies(r -> assertThat(r.getBlockedPercent()).isEqualTo("100.00%"));
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              assertThat(awsInstances()).as("the AWS VM is gone").isEmpty();
              assertThat(awsAddresses()).as("and its address released").isEmpty();
              assertThat(gcpInstances()).hasSize(3);
              assertThat(gcpAddresses()).as("one address per GCP proxy").hasSize(3);
            });

    // The GCE firewall rule of (network, port) stays while proxies use it ...
    io.proxyfleet.gc.GarbageCollector collector =
        new io.proxyfleet.gc.GarbageCollector(
            client,
            providers,
            new io.proxyfleet.events.EventRecorder(client, Clock.systemUTC(), "test"),
            Clock.systemUTC(),
            CLUSTER,
            Duration.ZERO);
    assertThat(collector.collect().removedShared()).isEmpty();
    assertThat(fake.firewalls()).hasSize(1);

    client.resources(ProxyFleet.class).inNamespace("default").withName("mixed").delete();
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                proxies().isEmpty()
                    && client
                            .resources(ProxyFleet.class)
                            .inNamespace("default")
                            .withName("mixed")
                            .get()
                        == null);
    // Counted by the owner tag or label of this operator's cluster, in every cloud.
    assertThat(awsInstances()).isEmpty();
    assertThat(awsAddresses()).isEmpty();
    assertThat(gcpInstances()).isEmpty();
    assertThat(gcpAddresses()).isEmpty();
    assertThat(localInstances()).isEmpty();
    // ... and goes with the last of them (here with no minimum age; the operator waits 5 minutes).
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(gcpInstances()).isEmpty());
    io.proxyfleet.gc.GarbageCollector.Report report = collector.collect();
    assertThat(report.errors()).isEmpty();
    assertThat(report.removedShared())
        .singleElement()
        .satisfies(r -> assertThat(r).startsWith("firewall rule pf-"));
    assertThat(fake.firewalls()).isEmpty();
  }
}
