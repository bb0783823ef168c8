package io.proxyfleet.blocklist;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Where a Blocklist's URL may lead and which Secrets it may use. Literal addresses: no DNS needed.
 */
class SourceAccessTest {

  static final SourceAccess PUBLIC_ONLY = SourceAccess.publicOnly("proxyfleet-system");
  static final SourceAccess LOOPBACK_ALLOWED =
      new SourceAccess("proxyfleet-system", List.of("127.0.0.0/8"));

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://127.0.0.1/list",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.1.2.3/",
        "https://172.20.0.1/",
        "https://192.168.1.1/",
        "https://100.64.0.1/",
        "https://0.0.0.0/",
        "https://[::1]/",
        "https://[fd00:ec2::254]/",
        "https://[fe80::1]/",
        "https://[::ffff:10.0.0.1]/",
        "https://localhost/"
      })
  void nonPublicDestinationsAreRefused(String url) {
    assertThat(PUBLIC_ONLY.refusal(URI.create(url)))
        .isPresent()
        .get()
        .asString()
        .contains("not a public address");
  }

  @Test
  void publicHttpsIsAllowedAndPlainHttpIsNot() {
    assertThat(PUBLIC_ONLY.refusal(URI.create("https://1.1.1.1/list"))).isEmpty();
    assertThat(PUBLIC_ONLY.refusal(URI.create("https://[2606:4700::1111]/list"))).isEmpty();
    assertThat(PUBLIC_ONLY.refusal(URI.create("http://1.1.1.1/list")))
        .isPresent()
        .get()
        .asString()
        .contains("use an https URL");
  }

  @Test
  void anAllowedRangeMayBeReachedAlsoOverPlainHttp() {
    assertThat(LOOPBACK_ALLOWED.refusal(URI.create("http://127.0.0.1:8080/list"))).isEmpty();
    assertThat(LOOPBACK_ALLOWED.refusal(URI.create("http://169.254.169.254/"))).isPresent();
    assertThat(LOOPBACK_ALLOWED.refusal(URI.create("https://10.0.0.1/"))).isPresent();
  }

  @Test
  void secretsComeFromTheOperatorNamespaceOrOptIn() {
    assertThat(
            PUBLIC_ONLY.mayUse(
                new SecretBuilder()
                    .withNewMetadata()
                    .withNamespace("proxyfleet-system")
                    .withName("t")
                    .endMetadata()
                    .build()))
        .isTrue();
    assertThat(
            PUBLIC_ONLY.mayUse(
                new SecretBuilder()
                    .withNewMetadata()
                    .withNamespace("victim")
                    .withName("app-db")
                    .endMetadata()
                    .build()))
        .isFalse();
    assertThat(
            PUBLIC_ONLY.mayUse(
                new SecretBuilder()
                    .withNewMetadata()
                    .withNamespace("victim")
                    .withName("app-db")
                    .addToLabels(SourceAccess.AUTH_SECRET_LABEL, "false")
                    .endMetadata()
                    .build()))
        .isFalse();
    assertThat(
            PUBLIC_ONLY.mayUse(
                new SecretBuilder()
                    .withNewMetadata()
                    .withNamespace("feeds")
                    .withName("token")
                    .addToLabels(SourceAccess.AUTH_SECRET_LABEL, "true")
                    .endMetadata()
                    .build()))
        .isTrue();
  }
}
