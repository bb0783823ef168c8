package io.proxyfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProtobufBodyTest {

  /**
   * The body kubectl 1.32 sent for {@code kubectl create secret generic demo-endpoints
   * --from-literal='endpoints.json=[{"uri" : "x"}]'}, captured from the wire.
   */
  @Test
  void readsTheSecretKubectlCreateSends() throws IOException {
    byte[] body;
    try (InputStream in =
        getClass().getResourceAsStream("/embedded/kubectl-1.32-create-secret.pb")) {
      body = in.readAllBytes();
    }

    var secret = ProtobufBody.decode(body).orElseThrow();

    assertThat(secret.path("apiVersion").asText()).isEqualTo("v1");
    assertThat(secret.path("kind").asText()).isEqualTo("Secret");
    assertThat(secret.path("metadata").path("name").asText()).isEqualTo("demo-endpoints");
    // Empty strings on the wire are unset fields, not values to store.
    assertThat(secret.path("metadata").has("namespace")).isFalse();
    assertThat(secret.path("data").path("endpoints.json").asText())
        .isEqualTo("W3sidXJpIiA6ICJ4In1d");
  }

  @Test
  void refusesWhatIsNotTheKubernetesEncodingOfASecretOrConfigMap() {
    assertThat(ProtobufBody.decode("{\"kind\":\"Secret\"}".getBytes(StandardCharsets.UTF_8)))
        .isEmpty();
    assertThat(ProtobufBody.decode(new byte[] {'k', '8', 's', 0, 0x12, 0x7f, 1})).isEmpty();
  }
}
