package io.proxyfleet.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxySpec;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.secrets.FleetSecrets;
import java.security.SecureRandom;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Where each proxy's MTProto secret comes from: the same answer for the daemon and for the link.
 */
class FleetSecretsMtprotoTest {

  static Proxy proxy(String name, String protocol, String domain) {
    Proxy p = new Proxy();
    p.getMetadata().setName(name);
    ProxySpec spec = new ProxySpec();
    spec.setProtocol(protocol);
    spec.setFakeTlsDomain(domain);
    p.setSpec(spec);
    return p;
  }

  @Test
  void fleetScopeGeneratesOneKeyAndEveryProxyUsesIt() {
    Secret secret =
        FleetSecrets.newCredentials(
            FleetValidatorMtprotoTest.fleet("mtproto", "www.example.com", null, null),
            new SecureRandom());
    String key = FleetSecrets.value(secret, FleetSecrets.MTPROTO_SECRET);
    assertThat(key).matches("[0-9a-f]{32}");
    ProxyCredentials a =
        FleetSecrets.forProxy(secret, proxy("f-aaaaa", "mtproto", "www.example.com")).orElseThrow();
    ProxyCredentials b =
        FleetSecrets.forProxy(secret, proxy("f-bbbbb", "mtproto", "www.example.com")).orElseThrow();
    assertThat(a.fakeTls().key()).isEqualTo(key).isEqualTo(b.fakeTls().key());
    assertThat(a.fakeTls().domain()).isEqualTo("www.example.com");
  }

  @Test
  void proxyScopeKeysWinAndStayApart() {
    Secret secret =
        FleetSecrets.newCredentials(
            FleetValidatorMtprotoTest.fleet("mtproto", "www.example.com", "proxy", null),
            new SplittableRandom(1));
    assertThat(secret.getData()).doesNotContainKey(FleetSecrets.MTPROTO_SECRET);
    assertThat(FleetSecrets.forProxy(secret, proxy("f-aaaaa", "mtproto", "www.example.com")))
        .as("no key yet: not launchable")
        .isEmpty();
    FleetSecrets.put(
        secret, FleetSecrets.mtprotoKeyName("f-aaaaa"), "000102030405060708090a0b0c0d0e0f");
    FleetSecrets.put(
        secret, FleetSecrets.mtprotoKeyName("f-bbbbb"), "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    assertThat(
            FleetSecrets.forProxy(secret, proxy("f-aaaaa", "mtproto", "www.example.com"))
                .orElseThrow()
                .fakeTls()
                .key())
        .isEqualTo("000102030405060708090a0b0c0d0e0f");
    assertThat(
            FleetSecrets.forProxy(secret, proxy("f-bbbbb", "mtproto", "cdn.example.org"))
                .orElseThrow()
                .fakeTls()
                .clientSecret())
        .isEqualTo("eef0f1f2f3f4f5f6f7f8f9fafbfcfdfeff" + "63646e2e6578616d706c652e6f7267");
  }

  @Test
  void otherProtocolsCarryNoMtprotoSecret() {
    Secret secret =
        FleetSecrets.newCredentials(
            FleetValidatorMtprotoTest.fleet("socks5", null, null, null), new SecureRandom());
    assertThat(secret.getData()).containsOnlyKeys(FleetSecrets.USERNAME, FleetSecrets.PASSWORD);
    assertThat(
            FleetSecrets.forProxy(secret, proxy("f-aaaaa", "socks5", null)).orElseThrow().fakeTls())
        .isNull();
  }

  @Test
  void aProxyWithoutItsDomainIsNotLaunchable() {
    Secret secret =
        FleetSecrets.newCredentials(
            FleetValidatorMtprotoTest.fleet("mtproto", "www.example.com", null, null),
            new SecureRandom());
    assertThat(FleetSecrets.forProxy(secret, proxy("f-aaaaa", "mtproto", null))).isEmpty();
  }
}
