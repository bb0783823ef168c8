package io.proxyfleet.operator;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.cloud.SecretReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Reads Secrets through the operator's Kubernetes client (data decoded, stringData as is). */
public final class KubernetesSecretReader implements SecretReader {

  private final KubernetesClient client;

  public KubernetesSecretReader(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public Optional<Map<String, String>> read(String namespace, String name) {
    Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
    if (secret == null) {
      return Optional.empty();
    }
    Map<String, String> values = new LinkedHashMap<>();
    if (secret.getStringData() != null) {
      values.putAll(secret.getStringData());
    }
    if (secret.getData() != null) {
      secret
          .getData()
          .forEach(
              (k, v) ->
                  values.put(
                      k,
                      v == null
                          ? null
                          : new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    }
    return Optional.of(values);
  }
}
