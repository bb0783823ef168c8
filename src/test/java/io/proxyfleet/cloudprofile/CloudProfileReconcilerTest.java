package io.proxyfleet.cloudprofile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.CloudProfileStatus;
import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.CloudProviderFactory;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.local.CustomResourceDefinitions;
import io.proxyfleet.status.Conditions;
import io.proxyfleet.testing.cloud.SettableClock;
import io.proxyfleet.testing.cloud.TestingCloudProvider;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CloudProfile loop called directly on a clock the test moves, against local mode's embedded
 * API and a {@link TestingCloudProvider} whose switches stand for rejected keys, bad settings,
 * throttling and capacity trouble.
 */
class CloudProfileReconcilerTest {

  static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");

  final SettableClock clock = new SettableClock(T0);
  final TestingCloudProvider cloud =
      new TestingCloudProvider("aws", clock, 1)
          .withRegion("eu-central-1", "203.0.113.0/24")
          .withRegion("eu-north-1", "198.51.100.0/24");
  final AtomicInteger providersBuilt = new AtomicInteger();
  EmbeddedKubernetes api;
  KubernetesClient client;
  CloudProviders providers;
  CloudProfileReconciler reconciler;

  @BeforeEach
  void start() {
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    api.installCrds(CustomResourceDefinitions.all());
    client = api.client();
    providers =
        new CloudProviders(
            List.of(
                new CloudProviderFactory() {
                  @Override
                  public String type() {
                    return "aws";
                  }

                  @Override
                  public CloudProvider create(CloudProfile profile) {
                    providersBuilt.incrementAndGet();
                    return cloud;
                  }
                }));
    reconciler =
        new CloudProfileReconciler(providers, new EventRecorder(client, clock, "test"), clock);
  }

  @AfterEach
  void stop() {
    providers.close();
    api.close();
  }

  CloudProfile create(String spec) {
    String yaml =
        """
        apiVersion: proxyfleet.io/v1alpha1
        kind: CloudProfile
        metadata: {name: aws, namespace: default}
        spec:
        """
            + spec.indent(2);
    return client
        .resource(client.getKubernetesSerialization().unmarshal(yaml, CloudProfile.class))
        .create();
  }

  CloudProfile awsProfile() {
    return create(
        """
        provider: aws
        aws: {regions: [eu-central-1, eu-north-1], instanceType: t3.micro, subnets: {tags: {proxyfleet.io/use: proxies}}}
        """);
  }

  /** Reconcile never needs the context: every collaborator came through the constructor. */
  @SuppressWarnings("unchecked")
  static Context<CloudProfile> unusedContext() {
    return (Context<CloudProfile>)
        java.lang.reflect.Proxy.newProxyInstance(
            CloudProfileReconcilerTest.class.getClassLoader(),
            new Class<?>[] {Context.class},
            (self, method, args) -> {
              throw new UnsupportedOperationException(method.getName());
            });
  }

  /** One pass; the status it asks to patch is written, as JOSDK would. */
  UpdateControl<CloudProfile> pass(CloudProfile profile) {
    UpdateControl<CloudProfile> control = reconciler.reconcile(profile, unusedContext());
    if (control.isPatchStatus()) {
      client.resource(control.getResource().orElseThrow()).patchStatus();
    }
    return control;
  }

  CloudProfile stored() {
    return client.resources(CloudProfile.class).inNamespace("default").withName("aws").get();
  }

  static Condition ready(CloudProfile profile) {
    return Conditions.find(profile.getStatus().getConditions(), CloudProfileReconciler.READY)
        .orElseThrow();
  }

  List<Event> events(String reason) {
    return client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }

  @Test
  void workingCredentialsShowEverySubnetAndRecheckRarely() {
    UpdateControl<CloudProfile> control = pass(awsProfile());

    CloudProfile profile = stored();
    assertThat(ready(profile).getStatus()).isEqualTo("True");
    assertThat(ready(profile).getReason()).isEqualTo("Verified");
    assertThat(ready(profile).getMessage()).isEqualTo("6 subnets in 2 regions");
    assertThat(ready(profile).getLastTransitionTime()).isEqualTo("2026-03-01T12:00:00Z");
    assertThat(profile.getStatus().getCredentials())
        .isEqualTo(CloudProfileStatus.CREDENTIALS_VALID);
    assertThat(profile.getStatus().getObservedGeneration())
        .isEqualTo(profile.getMetadata().getGeneration());
    assertThat(profile.getStatus().getSubnets())
        .extracting(s -> s.getRegion() + "/" + s.getZone())
        .containsExactly(
            "eu-central-1/eu-central-1a",
            "eu-central-1/eu-central-1b",
            "eu-central-1/eu-central-1c",
            "eu-north-1/eu-north-1a",
            "eu-north-1/eu-north-1b",
            "eu-north-1/eu-north-1c");
    assertThat(control.getScheduleDelay())
        .contains(CloudProfileReconciler.HEALTHY_RECHECK.toMillis());
    assertThat(cloud.calls("verifyAccess")).isEqualTo(1);

    clock.advance(Duration.ofMinutes(10));
    UpdateControl<CloudProfile> again = pass(stored());
    assertThat(again.isNoUpdate()).as("nothing changed: no write").isTrue();
    assertThat(ready(stored()).getLastTransitionTime())
        .as("kept while unchanged")
        .isEqualTo("2026-03-01T12:00:00Z");
  }

  @Test
  void rejectedCredentialsAreReportedOnceAndRecheckedWithAFreshClient() {
    cloud.unauthorized(true);
    CloudProfile profile = awsProfile();
    UpdateControl<CloudProfile> control = pass(profile);

    assertThat(ready(stored()).getStatus()).isEqualTo("False");
    assertThat(ready(stored()).getReason()).isEqualTo("Unauthorized");
    assertThat(stored().getStatus().getCredentials())
        .isEqualTo(CloudProfileStatus.CREDENTIALS_INVALID);
    assertThat(control.getScheduleDelay())
        .as("no retry loop on a wrong key")
        .contains(CloudProfileReconciler.UNAUTHORIZED_RECHECK.toMillis());
    assertThat(stored().getStatus().getSubnets()).isEmpty();

    clock.advance(CloudProfileReconciler.UNAUTHORIZED_RECHECK);
    pass(stored());
    assertThat(events("Unauthorized")).as("one warning while the state holds").hasSize(1);
    assertThat(providersBuilt.get())
        .as("a Secret fixed in place is read by a new client")
        .isEqualTo(2);
    assertThat(cloud.calls("verifyAccess")).isEqualTo(2);
    assertThat(cloud.calls("subnets"))
        .as("nothing else is tried with rejected credentials")
        .isZero();

    cloud.unauthorized(false);
    clock.advance(CloudProfileReconciler.UNAUTHORIZED_RECHECK);
    pass(stored());
    assertThat(ready(stored()).getReason()).isEqualTo("Verified");
    assertThat(stored().getStatus().getCredentials())
        .isEqualTo(CloudProfileStatus.CREDENTIALS_VALID);
    assertThat(ready(stored()).getLastTransitionTime()).isEqualTo(clock.instant().toString());
  }

  @Test
  void aBadSettingIsNamedAndNotRetriedUntilTheProfileChanges() {
    cloud.rejectSetting(
        "CloudProfile default/aws: spec.aws.instanceType 't3.nope' is not offered in eu-central-1; use t3.micro");
    UpdateControl<CloudProfile> control = pass(awsProfile());

    assertThat(ready(stored()).getReason()).isEqualTo("Invalid");
    assertThat(ready(stored()).getMessage()).contains("spec.aws.instanceType");
    assertThat(stored().getStatus().getCredentials())
        .isEqualTo(CloudProfileStatus.CREDENTIALS_UNKNOWN);
    assertThat(control.getScheduleDelay()).as("only a change of the profile can fix it").isEmpty();
    assertThat(events("Invalid"))
        .singleElement()
        .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));
  }

  @Test
  void anUnreadableFieldIsNamedBeforeAnyClientIsBuilt() {
    pass(
        create(
            """
        provider: aws
        aws: {regions: [eu-central-1], subnets: {tags: {proxyfleet.io/use: proxies}}}
        tags: "team=web"
        """));

    assertThat(ready(stored()).getReason()).isEqualTo("Invalid");
    assertThat(ready(stored()).getMessage()).contains("spec.tags");
    assertThat(providersBuilt.get()).as("no client from guessed settings").isZero();
    assertThat(stored().getStatus().getRegions()).containsExactly("eu-central-1");
  }

  @Test
  void aProviderThisBuildLacksIsNamedWithTheSupportedOnes() {
    pass(
        create(
            """
        provider: gcp
        gcp: {project: p, regions: [{name: europe-west3}]}
        """));

    assertThat(ready(stored()).getReason()).isEqualTo("Invalid");
    assertThat(ready(stored()).getMessage()).contains("spec.provider 'gcp'", "supported: aws");
  }

  @Test
  void zonesOutOfCapacityAreShownWithTheInstanceType() {
    cloud.noCapacity("eu-north-1b");
    OwnerTags owner = new OwnerTags("c", "default", "f", "f-1", "uid-1");
    assertThatThrownBy(
            () ->
                cloud.launch(
                    new LaunchSpec(
                        owner,
                        "eu-north-1",
                        "subnet-eu-north-1b",
                        Protocol.SOCKS5,
                        1080,
                        new ProxyCredentials("u", "p"))))
        .isInstanceOfSatisfying(
            CloudException.class,
            e -> assertThat(e.reason()).isEqualTo(CloudException.Reason.CAPACITY_UNAVAILABLE));

    pass(awsProfile());

    assertThat(ready(stored()).getStatus())
        .as("capacity trouble is not a broken profile")
        .isEqualTo("True");
    assertThat(stored().getStatus().getUnavailableZones())
        .singleElement()
        .satisfies(
            z -> {
              assertThat(z.getRegion()).isEqualTo("eu-north-1");
              assertThat(z.getZone()).isEqualTo("eu-north-1b");
              assertThat(z.getInstanceType()).isEqualTo("t3.micro");
            });

    clock.advance(TestingCloudProvider.CAPACITY_HOLD);
    pass(stored());
    assertThat(stored().getStatus().getUnavailableZones()).as("the hold ended").isEmpty();
  }

  @Test
  void throttlingKeepsWhatWasKnownAboutTheCredentialsAndRetriesSoon() {
    pass(awsProfile());
    cloud.throttled(true);
    clock.advance(CloudProfileReconciler.HEALTHY_RECHECK);
    UpdateControl<CloudProfile> control = pass(stored());

    assertThat(ready(stored()).getReason()).isEqualTo("Throttled");
    assertThat(stored().getStatus().getCredentials())
        .as("throttling says nothing about the keys")
        .isEqualTo(CloudProfileStatus.CREDENTIALS_VALID);
    assertThat(control.getScheduleDelay())
        .contains(CloudProfileReconciler.TRANSIENT_RECHECK.toMillis());
    assertThat(providersBuilt.get()).as("the client is kept").isEqualTo(1);
  }
}
