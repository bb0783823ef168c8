package io.proxyfleet.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.status.SpecProblem;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every rule of the fleet validator, one bad field at a time on an otherwise valid fleet: each
 * problem names exactly that field and says how to fix it. (The mtproto rules are in
 * FleetValidatorMtprotoTest.)
 */
class FleetValidatorTest {

  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  static final String VALID =
      """
      {"apiVersion": "proxyfleet.io/v1alpha1", "kind": "ProxyFleet",
       "metadata": {"name": "%s", "namespace": "default"},
       "spec": {"replicas": 4, "protocol": "socks5", "port": 1080, "launchTimeout": "10m",
                "placement": [{"cloudProfile": "aws", "regions": ["eu-central-1", "eu-north-1"], "weight": 2}],
                "rotation": {"onBlocked": "ReassignIP", "maxAge": "72h", "maxSurge": 1, "maxUnavailable": 0,
                             "maxRotationsPerHour": 60, "maxAddressDraws": 10, "burnedRegionCooldown": "30m"},
                "blocklists": ["rkn"] %s}}
      """;

  /** The valid fleet with {@code override} (JSON members) merged over its spec. */
  static ProxyFleet fleet(String name, String override) {
    String json = VALID.formatted(name, "");
    @SuppressWarnings("unchecked")
    java.util.Map<String, Object> tree = SERIALIZATION.unmarshal(json, java.util.Map.class);
    @SuppressWarnings("unchecked")
    java.util.Map<String, Object> spec = (java.util.Map<String, Object>) tree.get("spec");
    if (!override.isBlank()) {
      @SuppressWarnings("unchecked")
      java.util.Map<String, Object> changes =
          SERIALIZATION.unmarshal("{" + override + "}", java.util.Map.class);
      changes.forEach(
          (k, v) -> {
            if (v instanceof java.util.Map<?, ?> m
                && spec.get(k) instanceof java.util.Map<?, ?> existing) {
              @SuppressWarnings("unchecked")
              java.util.Map<String, Object> merged =
                  new java.util.LinkedHashMap<>((java.util.Map<String, Object>) existing);
              m.forEach((mk, mv) -> merged.put((String) mk, mv));
              spec.put(k, merged);
            } else {
              spec.put(k, v);
            }
          });
    }
    return SERIALIZATION.unmarshal(SERIALIZATION.asJson(tree), ProxyFleet.class);
  }

  static List<SpecProblem> problems(ProxyFleet fleet) {
    return new FleetValidator().validate(fleet);
  }

  @Test
  void theValidFleetPasses() {
    assertThat(problems(fleet("f", ""))).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "replicas missing        | \"replicas\": null                                       | spec.replicas                   | is required",
        "replicas negative       | \"replicas\": -1                                         | spec.replicas                   | is negative",
        "replicas above limit    | \"replicas\": 100000                                     | spec.replicas                   | split the fleet",
        "unknown protocol        | \"protocol\": \"wireguard\"                              | spec.protocol                   | socks5, http, mtproto or shadowsocks",
        "port zero               | \"port\": 0                                              | spec.port                       | outside 1-65535",
        "port too high           | \"port\": 70000                                          | spec.port                       | outside 1-65535",
        "launchTimeout garbage   | \"launchTimeout\": \"soon\"                              | spec.launchTimeout              | soon",
        "launchTimeout zero      | \"launchTimeout\": \"0s\"                                | spec.launchTimeout              | longer than 0",
        "blocked percent         | \"maxRegionBlockedPercent\": 0                           | spec.maxRegionBlockedPercent    | outside 1-100",
        "bad secret name         | \"credentialsSecret\": \"My_Secret\"                     | spec.credentialsSecret          | not a valid Secret name",
        "no placement            | \"placement\": []                                        | spec.placement                  | at least one entry",
        "bad profile name        | \"placement\": [{\"cloudProfile\": \"AWS!\", \"regions\": [\"r\"]}]        | spec.placement[0].cloudProfile | not a CloudProfile name",
        "no regions              | \"placement\": [{\"cloudProfile\": \"aws\", \"regions\": []}]              | spec.placement[0].regions      | list at least one region",
        "blank region            | \"placement\": [{\"cloudProfile\": \"aws\", \"regions\": [\"r\", \" \"]}]  | spec.placement[0].regions[1]   | name a region",
        "region twice            | \"placement\": [{\"cloudProfile\": \"aws\", \"regions\": [\"r\", \"r\"]}]  | spec.placement[0].regions[1]   | listed twice",
        "weight zero             | \"placement\": [{\"cloudProfile\": \"aws\", \"regions\": [\"r\"], \"weight\": 0}] | spec.placement[0].weight | outside 1-1000",
        "unknown onBlocked       | \"rotation\": {\"onBlocked\": \"Pray\"}                  | spec.rotation.onBlocked         | ReassignIP or Replace",
        "maxAge garbage          | \"rotation\": {\"maxAge\": \"forever\"}                  | spec.rotation.maxAge            | forever",
        "maxAge below launch     | \"rotation\": {\"maxAge\": \"1m\"}                       | spec.rotation.maxAge            | Use at least 10m",
        "cooldown zero           | \"rotation\": {\"burnedRegionCooldown\": \"0s\"}         | spec.rotation.burnedRegionCooldown | longer than 0",
        "rotations per hour      | \"rotation\": {\"maxRotationsPerHour\": 0}               | spec.rotation.maxRotationsPerHour | outside 1-100000",
        "address draws           | \"rotation\": {\"maxAddressDraws\": 101}                 | spec.rotation.maxAddressDraws   | outside 1-100",
        "surge not a count       | \"rotation\": {\"maxSurge\": \"lots\"}                   | spec.rotation.maxSurge          | neither a count nor a percentage",
        "unavailable too big     | \"rotation\": {\"maxUnavailable\": \"99999999%\"}        | spec.rotation.maxUnavailable    | a percentage such as 25%",
        "no way to rotate        | \"rotation\": {\"maxSurge\": 0, \"maxUnavailable\": \"0%\"} | spec.rotation                 | allow a surge",
        "bad blocklist name      | \"blocklists\": [\"rkn\", \"Bad List\"]                  | spec.blocklists[1]              | not a Blocklist name",
      })
  void eachBadFieldIsNamedWithItsFix(String name, String override, String field, String fix) {
    List<SpecProblem> found = problems(fleet("f", override));
    assertThat(found)
        .as(name)
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.field()).isEqualTo(field);
              assertThat(p.message()).contains(fix);
            });
  }

  @Test
  void aNameTooLongForProxyNamesIsNamed() {
    String name = "f".repeat(FleetValidator.MAX_FLEET_NAME + 1);
    assertThat(problems(fleet(name, "")))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.field()).isEqualTo("metadata.name");
              assertThat(p.message()).contains("at most " + FleetValidator.MAX_FLEET_NAME);
            });
    assertThat(problems(fleet("f".repeat(FleetValidator.MAX_FLEET_NAME), ""))).isEmpty();
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    assertThat(problems(fleet("f", "\"port\": 0, \"protocol\": \"x\", \"blocklists\": [\"A\"]")))
        .extracting(SpecProblem::field)
        .containsExactly("spec.protocol", "spec.port", "spec.blocklists[0]");
  }

  @Test
  void unreadableValuesAreReportedAloneWithoutTheDefaultsLeftInTheirPlace() {
    ProxyFleet f = fleet("f", "\"replicas\": \"four\", \"port\": 0");
    assertThat(problems(f)).extracting(SpecProblem::field).containsExactly("spec.replicas");
  }

  @Test
  void aMissingSpecIsNamed() {
    ProxyFleet f = fleet("f", "");
    f.setSpec(null);
    assertThat(problems(f)).extracting(SpecProblem::field).containsExactly("spec");
  }
}
