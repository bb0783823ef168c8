package io.proxyfleet.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Secret;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.cloud.FakeTlsSecret;
import io.proxyfleet.cloud.aws.Ec2Settings;
import io.proxyfleet.testing.AwsTestCloud;
import io.proxyfleet.testing.Ec2FaultProxy;
import io.proxyfleet.testing.MotoServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * mtproto fleets end to end on moto: each proxy's FakeTLS secret in the credentials Secret, in the
 * user data its VM boots with, and in its published links, and no link with another proxy's secret.
 * Also the bad mtproto input a real API server would reject, as the operator reports it.
 */
class AwsMtprotoFleetTest {

  @RegisterExtension static final MotoServer MOTO = new MotoServer();

  static final String EU = "eu-central-1";
  static final Duration TIMEOUT = Duration.ofMinutes(2);
  static final Pattern WRITE =
      Pattern.compile("^pf_write (\\S+) \\S+ \\S+ '([A-Za-z0-9+/=]*)'$", Pattern.MULTILINE);

  static Ec2FaultProxy faults;
  static Ec2Client eu;
  static AwsEnvironment env;

  @BeforeAll
  static void start() throws Exception {
    faults = Ec2FaultProxy.start(MOTO.endpoint());
    eu = AwsTestCloud.admin(MOTO.endpoint(), EU);
    AwsTestCloud.network(eu, EU, 2, "proxies");
    env = new AwsEnvironment(Ec2Settings.defaults());
    env.apply(AwsEnvironment.profile("aws", faults.endpoint(), List.of(EU)));
    env.apply(AwsEnvironment.blocklist("mt-list", List.of()));
  }

  @AfterAll
  static void stop() {
    if (env != null) env.close();
    faults.close();
    eu.close();
  }

  static String fleet(String name, int replicas, String protocol, String mtproto) {
    return """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: %s, namespace: default}
        spec:
          replicas: %d
          protocol: %s
          port: 443
          placement: [{cloudProfile: aws, regions: [%s]}]
          blocklists: [mt-list]
        %s"""
        .formatted(name, replicas, protocol, EU, mtproto);
  }

  @Test
  void perProxySecretsReachTheVmAndTheLinksOfThatProxyOnly() throws Exception {
    env.apply(
        fleet(
            "mt",
            3,
            "mtproto",
            "  mtproto: {fakeTlsDomain: cdn.example.org, secretScope: proxy}\n"));
    await().atMost(TIMEOUT).until(() -> env.fleetReady("mt", 3) && endpoints("mt").size() == 3);
    Map<String, String> data = secretData("mt-credentials");
    assertThat(data).doesNotContainKey("mtprotoSecret");
    Map<String, String> keyByProxy = new HashMap<>();
    for (Proxy p : env.proxies("mt")) {
      String key = data.get("mtprotoSecret." + p.getMetadata().getName());
      assertThat(key).as(p.getMetadata().getName()).matches("[0-9a-f]{32}");
      keyByProxy.put(p.getMetadata().getName(), key);
      assertThat(p.getSpec().getFakeTlsDomain()).isEqualTo("cdn.example.org");
      // The VM boots with its own key and the fleet's domain, FakeTLS only.
      String config = bootFiles(p.getMetadata().getUid()).get("/etc/proxyfleet/mtproto.py");
      assertThat(config)
          .contains("\"proxyfleet\": \"" + key + "\"")
          .contains("TLS_DOMAIN = \"cdn.example.org\"")
          .contains("MODES = {\"classic\": False, \"secure\": False, \"tls\": True}");
    }
    assertThat(keyByProxy.values()).doesNotHaveDuplicates();
    for (JsonNode e : endpoints("mt")) {
      String expected =
          new FakeTlsSecret(keyByProxy.get(e.get("name").asText()), "cdn.example.org")
              .clientSecret();
      assertThat(e.get("links")).hasSize(2);
      assertThat(e.get("links").get(0).asText())
          .isEqualTo("tg://proxy?server=" + e.get("ip").asText() + "&port=443&secret=" + expected);
      assertThat(e.get("links").get(1).asText())
          .isEqualTo(
              "https://t.me/proxy?server=" + e.get("ip").asText() + "&port=443&secret=" + expected);
      keyByProxy.entrySet().stream()
          .filter(k -> !k.getKey().equals(e.get("name").asText()))
          .forEach(other -> assertThat(e.toString()).doesNotContain(other.getValue()));
    }
    // Scaling down drops the keys of the proxies that are gone.
    env.client
        .resources(ProxyFleet.class)
        .inNamespace("default")
        .withName("mt")
        .edit(
            f -> {
              f.getSpec().setReplicas(1);
              return f;
            });
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                secretData("mt-credentials").keySet().stream()
                        .filter(k -> k.startsWith("mtprotoSecret."))
                        .count()
                    == 1);
    String remaining =
        secretData("mt-credentials").keySet().stream()
            .filter(k -> k.startsWith("mtprotoSecret."))
            .findFirst()
            .orElseThrow();
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                env.proxies("mt").stream()
                        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                        .count()
                    == 1);
    assertThat(remaining)
        .isEqualTo(
            "mtprotoSecret."
                + env.proxies("mt").stream()
                    .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                    .findFirst()
                    .orElseThrow()
                    .getMetadata()
                    .getName());
  }

  @Test
  void fleetScopeSharesOneGeneratedSecret() throws Exception {
    env.apply(fleet("mtf", 2, "mtproto", "  mtproto: {fakeTlsDomain: www.example.com}\n"));
    await().atMost(TIMEOUT).until(() -> env.fleetReady("mtf", 2) && endpoints("mtf").size() == 2);
    String key = secretData("mtf-credentials").get("mtprotoSecret");
    assertThat(key).matches("[0-9a-f]{32}");
    String expected = new FakeTlsSecret(key, "www.example.com").clientSecret();
    assertThat(endpoints("mtf"))
        .allSatisfy(e -> assertThat(e.get("uri").asText()).endsWith("&secret=" + expected));
    Secret endpoints = env.client.secrets().inNamespace("default").withName("mtf-endpoints").get();
    String subscription =
        new String(
            Base64.getDecoder().decode(endpoints.getData().get("subscription.txt")),
            StandardCharsets.UTF_8);
    assertThat(subscription.lines())
        .hasSize(4)
        .allSatisfy(l -> assertThat(l).contains("secret=" + expected));
  }

  @Test
  void badMtprotoInputIsDegradedNamingTheFieldAndLaunchesNothing() {
    env.apply(fleet("nodomain", 1, "mtproto", ""));
    env.apply(fleet("mismatch", 1, "socks5", "  mtproto: {fakeTlsDomain: www.example.com}\n"));
    env.apply(fleet("ipdomain", 1, "mtproto", "  mtproto: {fakeTlsDomain: 203.0.113.5}\n"));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                degraded("nodomain").contains("spec.mtproto.fakeTlsDomain")
                    && degraded("mismatch").contains("spec.mtproto: applies to mtproto fleets only")
                    && degraded("ipdomain")
                        .contains(
                            "spec.mtproto.fakeTlsDomain: '203.0.113.5' is not a lowercase hostname"));
    assertThat(env.proxies("nodomain")).isEmpty();
    assertThat(env.proxies("mismatch")).isEmpty();
    assertThat(env.proxies("ipdomain")).isEmpty();
  }

  String degraded(String name) {
    ProxyFleet f = env.fleet(name);
    if (f == null || f.getStatus() == null) return "";
    return f.getStatus().getConditions().stream()
        .filter(c -> c.getType().equals("Degraded") && c.getStatus().equals("True"))
        .map(c -> c.getMessage())
        .findFirst()
        .orElse("");
  }

  Map<String, String> secretData(String name) {
    Secret s = env.client.secrets().inNamespace("default").withName(name).get();
    Map<String, String> out = new HashMap<>();
    if (s != null)
      s.getData()
          .forEach(
              (k, v) ->
                  out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    return out;
  }

  List<JsonNode> endpoints(String fleet) throws Exception {
    Secret s = env.client.secrets().inNamespace("default").withName(fleet + "-endpoints").get();
    if (s == null) return List.of();
    List<JsonNode> out = new java.util.ArrayList<>();
    new ObjectMapper()
        .readTree(Base64.getDecoder().decode(s.getData().get("endpoints.json")))
        .forEach(out::add);
    return out;
  }

  /** Path -> content of every file the user data of this proxy's RunInstances writes. */
  static Map<String, String> bootFiles(String proxyUid) {
    String userData =
        faults.calls("RunInstances").stream()
            .filter(
                c -> c.param("ClientToken") != null && c.param("ClientToken").startsWith(proxyUid))
            .map(c -> c.param("UserData"))
            .findFirst()
            .orElseThrow();
    String script = new String(Base64.getDecoder().decode(userData), StandardCharsets.UTF_8);
    Map<String, String> files = new HashMap<>();
    Matcher m = WRITE.matcher(script);
    while (m.find()) {
      files.put(
          m.group(1), new String(Base64.getDecoder().decode(m.group(2)), StandardCharsets.UTF_8));
    }
    return files;
  }
}
