package io.proxyfleet.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.proxyfleet.api.MtprotoSpec;
import io.proxyfleet.api.Placement;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyFleetSpec;
import io.proxyfleet.status.SpecProblem;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The mtproto rules of the CRD's CEL validations, as the operator checks them: each names its
 * field.
 */
class FleetValidatorMtprotoTest {

  static ProxyFleet fleet(String protocol, String domain, String scope, String credentialsSecret) {
    ProxyFleet fleet = new ProxyFleet();
    fleet.setMetadata(new ObjectMetaBuilder().withName("f").withNamespace("d").build());
    ProxyFleetSpec spec = new ProxyFleetSpec();
    spec.setReplicas(1);
    spec.setProtocol(protocol);
    Placement placement = new Placement();
    placement.setCloudProfile("aws");
    placement.setRegions(List.of("eu-central-1"));
    spec.setPlacement(List.of(placement));
    spec.setCredentialsSecret(credentialsSecret);
    if (domain != null || scope != null) {
      MtprotoSpec mtproto = new MtprotoSpec();
      mtproto.setFakeTlsDomain(domain);
      if (scope != null) mtproto.setSecretScope(scope);
      spec.setMtproto(mtproto);
    }
    fleet.setSpec(spec);
    return fleet;
  }

  static List<String> fields(ProxyFleet fleet) {
    return new FleetValidator().validate(fleet).stream().map(SpecProblem::field).toList();
  }

  @Test
  void validMtprotoFleetsPass() {
    assertThat(fields(fleet("mtproto", "www.example.com", null, null))).isEmpty();
    assertThat(fields(fleet("mtproto", "www.example.com", "proxy", null))).isEmpty();
    assertThat(fields(fleet("mtproto", "www.example.com", "fleet", "mine"))).isEmpty();
  }

  @Test
  void mtprotoNeedsADomainBeforeAnythingIsLaunched() {
    // Not InvalidSpec: the reconciler reports it and launches nothing, after naming an unsupported
    // provider.
    assertThat(fields(fleet("mtproto", null, null, null))).isEmpty();
    assertThat(
            FleetValidator.fakeTlsDomainMissing(fleet("mtproto", null, null, null).getSpec())
                .field())
        .isEqualTo("spec.mtproto.fakeTlsDomain");
    assertThat(FleetValidator.fakeTlsDomainMissing(fleet("mtproto", null, "proxy", null).getSpec()))
        .isNotNull();
    assertThat(
            FleetValidator.fakeTlsDomainMissing(
                fleet("mtproto", "www.example.com", null, null).getSpec()))
        .isNull();
    assertThat(FleetValidator.fakeTlsDomainMissing(fleet("socks5", null, null, null).getSpec()))
        .isNull();
  }

  @Test
  void mtprotoOptionsOnAnotherProtocolAreRefused() {
    assertThat(fields(fleet("socks5", "www.example.com", null, null)))
        .containsExactly("spec.mtproto");
  }

  @Test
  void badDomainsAndScopesAreNamed() {
    assertThat(fields(fleet("mtproto", "1.2.3.4", null, null)))
        .containsExactly("spec.mtproto.fakeTlsDomain");
    assertThat(fields(fleet("mtproto", "bad domain.com", null, null)))
        .containsExactly("spec.mtproto.fakeTlsDomain");
    assertThat(fields(fleet("mtproto", "www.example.com", "user", null)))
        .containsExactly("spec.mtproto.secretScope");
    assertThat(fields(fleet("mtproto", "www.example.com", "proxy", "mine")))
        .containsExactly("spec.mtproto.secretScope");
  }
}
