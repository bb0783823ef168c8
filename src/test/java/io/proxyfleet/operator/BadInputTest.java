package io.proxyfleet.operator;

import static io.proxyfleet.operator.Fixtures.apply;
import static io.proxyfleet.operator.Fixtures.blocklist;
import static io.proxyfleet.operator.Fixtures.condition;
import static io.proxyfleet.operator.Fixtures.fleet;
import static io.proxyfleet.operator.Fixtures.fleetReady;
import static io.proxyfleet.operator.Fixtures.ipsByName;
import static io.proxyfleet.operator.Fixtures.profile;
import static io.proxyfleet.operator.Fixtures.proxies;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.local.LocalEnvironment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad input reaches the operator when no schema stands in between (the embedded API does not
 * validate): each case must end in a Degraded condition and a warning event naming the field, with
 * no proxy lost, and the fleet must recover when the input is fixed.
 */
class BadInputTest {

  static LocalEnvironment env;
  static KubernetesClient client;
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  @BeforeAll
  static void start() {
    env = Fixtures.start();
    client = env.client();
    apply(env, profile("local", 2, "0s"));
    apply(env, blocklist("ok-list", List.of()));
  }

  @AfterAll
  static void stop() {
    env.close();
  }

  static ProxyFleet get(String name) {
    return Fixtures.fleet(client, name);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "negative replicas | spec.replicas    | replicas=-1",
        "absurd replicas   | spec.replicas    | replicas=100000",
        "unknown protocol  | spec.protocol    | protocol=ftp",
        "port zero         | spec.port        | port=0",
        "port too large    | spec.port        | port=70000",
        "empty regions     | spec.placement[0].regions | regions=",
        "bad maxAge        | spec.rotation.maxAge | maxAge=soon",
        "maxAge below launchTimeout | spec.rotation.maxAge | maxAge=1ms",
      })
  void invalidEditsOfARunningFleetAreReportedAndLoseNothing(
      String name, String field, String edit) {
    String fleetName = "bad-" + Integer.toHexString(name.hashCode() & 0xfffff);
    int region = 40 + Math.abs(name.hashCode() % 50);
    apply(
        env,
        fleet(
            fleetName,
            2,
            "socks5",
            1080,
            "local",
            List.of("local-" + region),
            List.of("ok-list"),
            ""));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, fleetName, 2));
    Map<String, String> before = ipsByName(proxies(client, fleetName));

    client
        .resources(ProxyFleet.class)
        .inNamespace("default")
        .withName(fleetName)
        .edit(editor(edit));

    await()
        .atMost(TIMEOUT)
        .until(() -> "True".equals(condition(get(fleetName), "Degraded", c -> c.getStatus())));
    ProxyFleet f = get(fleetName);
    assertThat(condition(f, "Degraded", c -> c.getReason())).isEqualTo("InvalidSpec");
    assertThat(condition(f, "Degraded", c -> c.getMessage())).contains(field);
    assertThat(f.getStatus().getObservedGeneration()).isEqualTo(f.getMetadata().getGeneration());
    assertThat(Fixtures.events(client, fleetName))
        .anyMatch(e -> "Warning".equals(e.getType()) && e.getMessage().contains(field));
    assertThat(ipsByName(proxies(client, fleetName)))
        .as("no proxy lost or replaced")
        .isEqualTo(before);
  }

  static UnaryOperator<ProxyFleet> editor(String edit) {
    String key = edit.substring(0, edit.indexOf('='));
    String value = edit.substring(edit.indexOf('=') + 1);
    return f -> {
      switch (key) {
        case "replicas" -> f.getSpec().setReplicas(Integer.parseInt(value));
        case "protocol" -> f.getSpec().setProtocol(value);
        case "port" -> f.getSpec().setPort(Integer.parseInt(value));
        case "regions" -> f.getSpec().getPlacement().get(0).setRegions(List.of());
        case "maxAge" -> f.getSpec().getRotation().setMaxAge(value);
        default -> throw new IllegalArgumentException(key);
      }
      return f;
    };
  }

  @Test
  void aMissingCloudProfileIsNamedAndTheFleetStartsOnceItExists() {
    apply(
        env,
        fleet(
            "no-profile", 2, "socks5", 1080, "later", List.of("local-91"), List.of("ok-list"), ""));
    await()
        .atMost(TIMEOUT)
        .until(() -> "True".equals(condition(get("no-profile"), "Degraded", c -> c.getStatus())));
    assertThat(condition(get("no-profile"), "Degraded", c -> c.getMessage()))
        .contains("spec.placement[0].cloudProfile")
        .contains("CloudProfile 'later' not found");
    assertThat(proxies(client, "no-profile")).isEmpty();
    apply(env, profile("later", 1, "0s"));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "no-profile", 2));
    assertThat(condition(get("no-profile"), "Degraded", c -> c.getStatus())).isEqualTo("False");
  }

  @Test
  void aMissingBlocklistIsNamedAndClearsWhenCreated() {
    apply(
        env,
        fleet(
            "no-list",
            1,
            "socks5",
            1080,
            "local",
            List.of("local-92"),
            List.of("ok-list", "rkn-later"),
            ""));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                "BlocklistNotFound"
                    .equals(condition(get("no-list"), "Degraded", c -> c.getReason())));
    assertThat(condition(get("no-list"), "Degraded", c -> c.getMessage()))
        .contains("spec.blocklists[1]")
        .contains("'rkn-later' not found");
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "no-list", 1));
    apply(env, blocklist("rkn-later", List.of("10.0.0.0/8")));
    await()
        .atMost(TIMEOUT)
        .until(() -> "False".equals(condition(get("no-list"), "Degraded", c -> c.getStatus())));
  }

  @Test
  void malformedBlocklistEntriesAreCountedAndSkippedWhileTheRestStillBlocks() {
    apply(env, blocklist("messy", List.of("127.93.0.0/16", "not-an-ip", "1.2.3.4/99")));
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              Blocklist b = client.resources(Blocklist.class).withName("messy").get();
              assertThat(b.getStatus()).as("status written").isNotNull();
              assertThat(b.getStatus().getEntries()).isEqualTo(1);
              assertThat(b.getStatus().getParseErrors()).isEqualTo(2);
              assertThat(b.getStatus().getErrors())
                  .containsExactly(
                      "spec.cidrs[1]: 'not-an-ip' is not an IPv4 address",
                      "spec.cidrs[2]: '1.2.3.4/99': prefix length 99 is larger than 32");
              assertThat(b.getStatus().getIpv4Addresses()).isEqualTo(65536);
              assertThat(b.getStatus().getConditions())
                  .anyMatch(c -> c.getType().equals("Degraded") && c.getStatus().equals("True"));
            });
    assertThat(Fixtures.events(client, "messy")).anyMatch(e -> "ParseErrors".equals(e.getReason()));
    // The valid entry still protects fleets: local-93 is entirely blocked, local-94 is not.
    apply(
        env,
        fleet(
            "messy-fleet",
            2,
            "socks5",
            1080,
            "local",
            List.of("local-93", "local-94"),
            List.of("messy"),
            ""));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                "RegionsAvoided"
                        .equals(condition(get("messy-fleet"), "Degraded", c -> c.getReason()))
                    && Fixtures.running(client, "messy-fleet").size() == 2);
    assertThat(Fixtures.running(client, "messy-fleet"))
        .allMatch(p -> p.getStatus().getPublicIp().startsWith("127.94."));
  }

  @Test
  void unsupportedProtocolForTheProviderIsNamedWithoutLaunching() {
    apply(
        env,
        fleet("mtproto", 2, "mtproto", 443, "local", List.of("local-95"), List.of("ok-list"), ""));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                "ProtocolNotSupported"
                    .equals(condition(get("mtproto"), "Degraded", c -> c.getReason())));
    assertThat(condition(get("mtproto"), "Degraded", c -> c.getMessage()))
        .contains("spec.protocol")
        .contains("mtproto");
    assertThat(proxies(client, "mtproto")).isEmpty();
  }

  @Test
  void aNamedCredentialsSecretThatIsMissingIsReported() {
    apply(
        env,
        fleet(
            "creds",
            1,
            "socks5",
            1080,
            "local",
            List.of("local-96"),
            List.of("ok-list"),
            "  credentialsSecret: my-creds\n"));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                "CredentialsNotFound"
                    .equals(condition(get("creds"), "Degraded", c -> c.getReason())));
    assertThat(proxies(client, "creds")).isEmpty();
    client
        .secrets()
        .inNamespace("default")
        .resource(
            new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata()
                .withName("my-creds")
                .endMetadata()
                .addToStringData("username", "alice")
                .addToStringData("password", "s3cret-p4ss")
                .build())
        .create();
    // A named Secret carries no fleet label and is not watched: the fleet polls for it while
    // missing.
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "creds", 1));
    assertThat(Fixtures.endpointsJson(client, "creds")).contains("socks5://alice:s3cret-p4ss@");
  }

  @Test
  void aRegionTheCloudDoesNotKnowIsNamedWhileTheOtherRegionServes() {
    apply(
        env,
        fleet(
            "unknown-region",
            2,
            "socks5",
            1080,
            "local",
            List.of("local-97", "local-0"),
            List.of("ok-list"),
            ""));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                "True".equals(condition(get("unknown-region"), "Degraded", c -> c.getStatus()))
                    && Fixtures.running(client, "unknown-region").size() == 1);
    assertThat(condition(get("unknown-region"), "Degraded", c -> c.getMessage()))
        .contains("spec.placement[0].regions[1]")
        .contains("local-0");
    assertThat(Fixtures.running(client, "unknown-region"))
        .allMatch(p -> p.getSpec().getRegion().equals("local-97"));
  }
}
