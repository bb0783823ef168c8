package io.proxyfleet.fleet;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.proxyfleet.api.ApiGroup;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.cloud.ProxyCredentials;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/** The Secrets a fleet owns: generated proxy credentials and the published endpoints. */
public final class FleetSecrets {

  public static final String USERNAME = "username";
  public static final String PASSWORD = "password";
  public static final String ENDPOINTS_KEY = "endpoints.json";
  private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

  private FleetSecrets() {}

  public static String endpointsName(ProxyFleet fleet) {
    return fleet.getMetadata().getName() + "-endpoints";
  }

  /** The credentials Secret the fleet uses: the one it names, or the generated one. */
  public static String credentialsName(ProxyFleet fleet) {
    String named = fleet.getSpec().getCredentialsSecret();
    return named != null && !named.isEmpty() ? named : fleet.getMetadata().getName() + "-credentials";
  }

  public static boolean generatesCredentials(ProxyFleet fleet) {
    String named = fleet.getSpec().getCredentialsSecret();
    return named == null || named.isEmpty();
  }

  /** A fresh credentials Secret; the password comes from a cryptographically strong generator. */
  public static Secret newCredentials(ProxyFleet fleet, RandomGenerator secureRandom) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(credentialsName(fleet))
        .withNamespace(fleet.getMetadata().getNamespace())
        .addToLabels(ApiGroup.FLEET_LABEL, fleet.getMetadata().getName())
        .withOwnerReferences(ownerReference(fleet))
        .endMetadata()
        .withType("Opaque")
        .addToData(USERNAME, b64("pf-" + random(secureRandom, 8).toLowerCase()))
        .addToData(PASSWORD, b64(random(secureRandom, 32)))
        .build();
  }

  /** Reads username and password from a Secret, or empty when either key is missing. */
  public static Optional<ProxyCredentials> read(Secret secret) {
    if (secret == null) return Optional.empty();
    String user = value(secret, USERNAME);
    String pass = value(secret, PASSWORD);
    return user == null || pass == null || user.isEmpty() || pass.isEmpty()
        ? Optional.empty()
        : Optional.of(new ProxyCredentials(user, pass));
  }

  public static Secret endpoints(ProxyFleet fleet, String json) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(endpointsName(fleet))
        .withNamespace(fleet.getMetadata().getNamespace())
        .addToLabels(ApiGroup.FLEET_LABEL, fleet.getMetadata().getName())
        .withOwnerReferences(ownerReference(fleet))
        .endMetadata()
        .withType("Opaque")
        .addToData(ENDPOINTS_KEY, b64(json))
        .build();
  }

  /**
   * Whether a Secret the fleet writes belongs to this incarnation of the fleet. One left by a
   * deleted fleet of the same name is owned by another UID: the API server's garbage collector
   * deletes it sooner or later, so adopting it loses the credentials under running proxies.
   */
  public static boolean ownedBy(Secret secret, ProxyFleet fleet) {
    List<OwnerReference> owners = secret.getMetadata().getOwnerReferences();
    return owners != null && owners.stream().anyMatch(o -> Objects.equals(o.getUid(), fleet.getMetadata().getUid()));
  }

  public static OwnerReference ownerReference(ProxyFleet fleet) {
    return new OwnerReferenceBuilder()
        .withApiVersion(ApiGroup.API_VERSION)
        .withKind("ProxyFleet")
        .withName(fleet.getMetadata().getName())
        .withUid(fleet.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  static String value(Secret secret, String key) {
    Map<String, String> data = secret.getData();
    if (data != null && data.get(key) != null) {
      return new String(Base64.getDecoder().decode(data.get(key)), StandardCharsets.UTF_8);
    }
    Map<String, String> plain = secret.getStringData();
    return plain == null ? null : plain.get(key);
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String random(RandomGenerator random, int length) {
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }
}
