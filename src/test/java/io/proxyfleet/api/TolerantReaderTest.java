package io.proxyfleet.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The reads informers make: a value that does not fit its Java type must be named on the object,
 * with every other field still read, instead of an exception that stops the informer.
 */
class TolerantReaderTest {

  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  static ProxyFleet fleet(String specJson) {
    return SERIALIZATION.unmarshal(
        """
        {"apiVersion":"proxyfleet.io/v1alpha1","kind":"ProxyFleet","metadata":{"name":"f","namespace":"default"},"spec":%s}
        """
            .formatted(specJson),
        ProxyFleet.class);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "replicas: \"abc\"            | {\"replicas\":\"abc\",\"port\":1080}                          | spec.replicas",
        "port: \"abc\"                | {\"replicas\":2,\"port\":\"abc\"}                             | spec.port",
        "maxSurge: 99999999999      | {\"replicas\":2,\"rotation\":{\"maxSurge\":99999999999}}      | spec.rotation.maxSurge",
        "replicas: 99999999999      | {\"replicas\":99999999999}                                    | spec.replicas",
        "placement weight a list    | {\"replicas\":2,\"placement\":[{\"cloudProfile\":\"p\",\"weight\":[1]}]} | spec.placement[0].weight",
        "placement a string         | {\"replicas\":2,\"placement\":\"x\"}                          | spec.placement",
      })
  void aBadFleetValueIsNamedAndTheRestIsRead(String name, String spec, String field) {
    ProxyFleet f = fleet(spec);
    assertThat(f.getSpec().getUnreadableFields())
        .singleElement()
        .satisfies(u -> assertThat(u.path()).isEqualTo(field));
    assertThat(f.getMetadata().getName()).isEqualTo("f");
  }

  @Test
  void goodFieldsNextToABadOneAreKept() {
    ProxyFleet f =
        fleet(
            "{\"replicas\":3,\"port\":\"abc\",\"protocol\":\"http\",\"rotation\":{\"maxSurge\":99999999999,\"maxAge\":\"1h\"}}");
    assertThat(f.getSpec().getReplicas()).isEqualTo(3);
    assertThat(f.getSpec().getProtocol()).isEqualTo("http");
    assertThat(f.getSpec().getRotation().getMaxAge()).isEqualTo("1h");
    assertThat(f.getSpec().getUnreadableFields())
        .extracting(UnreadableField::toString)
        .containsExactlyInAnyOrder(
            "spec.port: 'abc' is not an integer from -2147483648 to 2147483647",
            "spec.rotation.maxSurge: '99999999999' is out of the integer range -2147483648 to 2147483647");
  }

  @Test
  void aSpecThatIsNotAnObjectLeavesAnEmptyMarkedSpec() {
    ProxyFleet f = fleet("\"x\"");
    assertThat(f.getSpec().getUnreadableFields())
        .extracting(UnreadableField::toString)
        .containsExactly("spec: 'x' is not an object");
  }

  @Test
  void aCleanSpecHasNoUnreadableFields() {
    assertThat(
            fleet("{\"replicas\":2,\"rotation\":{\"maxSurge\":\"25%\"}}")
                .getSpec()
                .getUnreadableFields())
        .isEmpty();
  }

  @Test
  void blocklistGuardAndCidrsAreNamed() {
    Blocklist b =
        SERIALIZATION.unmarshal(
            """
        {"apiVersion":"proxyfleet.io/v1alpha1","kind":"Blocklist","metadata":{"name":"b"},
         "spec":{"cidrs":"x","guard":{"maxGrowthFactor":99999999999,"minIpv4Prefix":8}}}
        """,
            Blocklist.class);
    assertThat(b.getSpec().getUnreadableFields())
        .extracting(UnreadableField::path)
        .containsExactlyInAnyOrder("spec.cidrs", "spec.guard.maxGrowthFactor");
    assertThat(b.getSpec().getGuard().getMinIpv4Prefix()).isEqualTo(8);
  }

  @Test
  void proxyAndCloudProfileSpecsAreReadTolerantlyToo() {
    Proxy p =
        SERIALIZATION.unmarshal(
            """
        {"apiVersion":"proxyfleet.io/v1alpha1","kind":"Proxy","metadata":{"name":"p","namespace":"default"},"spec":{"fleet":"f","port":"abc"}}
        """,
            Proxy.class);
    assertThat(p.getSpec().getUnreadableFields())
        .extracting(UnreadableField::path)
        .containsExactly("spec.port");
    assertThat(p.getSpec().getFleet()).isEqualTo("f");
    CloudProfile c =
        SERIALIZATION.unmarshal(
            """
        {"apiVersion":"proxyfleet.io/v1alpha1","kind":"CloudProfile","metadata":{"name":"c","namespace":"default"},"spec":{"provider":"local","local":{"subnetsPerRegion":"many"}}}
        """,
            CloudProfile.class);
    assertThat(c.getSpec().getUnreadableFields())
        .extracting(UnreadableField::path)
        .containsExactly("spec.local.subnetsPerRegion");
  }

  @Test
  void writingAndReadingAgainKeepsTheMarksAndTheUserValues() {
    // JOSDK clones every object through JSON before a reconcile: the marks must survive that.
    ProxyFleet f =
        fleet(
            "{\"replicas\":\"abc\",\"cidrs\":1,\"placement\":[{\"cloudProfile\":\"p\",\"weight\":\"w\"}],\"rotation\":{\"maxSurge\":99999999999}}");
    String written = SERIALIZATION.asJson(f);
    assertThat(written)
        .contains("\"replicas\":\"abc\"")
        .contains("\"maxSurge\":99999999999")
        .contains("\"weight\":\"w\"");
    ProxyFleet again = SERIALIZATION.unmarshal(written, ProxyFleet.class);
    assertThat(again.getSpec().getUnreadableFields()).isEqualTo(f.getSpec().getUnreadableFields());
    assertThat(
            SERIALIZATION.unmarshal(
                SERIALIZATION.asJson(again), com.fasterxml.jackson.databind.JsonNode.class))
        .isEqualTo(SERIALIZATION.unmarshal(written, com.fasterxml.jackson.databind.JsonNode.class));
    ProxyFleet notAnObject = fleet("[1,2]");
    assertThat(SERIALIZATION.asJson(notAnObject)).contains("\"spec\":[1,2]");
  }
}
