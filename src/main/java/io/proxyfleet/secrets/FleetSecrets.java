package io.proxyfleet.secrets;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.proxyfleet.api.ApiGroup;
import io.proxyfleet.api.MtprotoSpec;
import io.proxyfleet.api.Protocol;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.cloud.FakeTlsSecret;
import io.proxyfleet.cloud.ProxyCredentials;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/** The Secrets a fleet owns: generated proxy credentials and the published endpoints. */
public final class FleetSecrets {

  public static final String USERNAME = "username";
  public static final String PASSWORD = "password";
  public static final String ENDPOINTS_KEY = "endpoints.json";

  /** Every client link of the fleet, one per line, for clients that import a list. */
  public static final String SUBSCRIPTION_KEY = "subscription.txt";

  /**
   * The endpoints document gzipped, instead of {@link #ENDPOINTS_KEY}, when a fleet's documents are
   * large.
   */
  public static final String ENDPOINTS_GZIP_KEY = "endpoints.json.gz";

  /** The subscription list gzipped, instead of {@link #SUBSCRIPTION_KEY}, in the same case. */
  public static final String SUBSCRIPTION_GZIP_KEY = "subscription.txt.gz";

  /**
   * Above this many characters of documents, both are written gzipped (base64 makes 512 KiB about
   * 683 KiB).
   */
  static final int PLAIN_LIMIT = 512 * 1024;

  /** The MTProto key (32 hex digits) all proxies of a fleet share (secretScope fleet). */
  public static final String MTPROTO_SECRET = "mtprotoSecret";

  /**
   * Prefix of the per-proxy MTProto keys (secretScope proxy): {@code mtprotoSecret.<proxy name>}.
   */
  public static final String MTPROTO_SECRET_PREFIX = MTPROTO_SECRET + ".";

  private static final String ALPHABET =
      "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

  private FleetSecrets() {}

  public static String endpointsName(ProxyFleet fleet) {
    return fleet.getMetadata().getName() + "-endpoints";
  }

  /** The credentials Secret the fleet uses: the one it names, or the generated one. */
  public static String credentialsName(ProxyFleet fleet) {
    String named = fleet.getSpec().getCredentialsSecret();
    return named != null && !named.isEmpty()
        ? named
        : fleet.getMetadata().getName() + "-credentials";
  }

  public static boolean generatesCredentials(ProxyFleet fleet) {
    String named = fleet.getSpec().getCredentialsSecret();
    return named == null || named.isEmpty();
  }

  /** A fresh credentials Secret; the password comes from a cryptographically strong generator. */
  public static Secret newCredentials(ProxyFleet fleet, RandomGenerator secureRandom) {
    SecretBuilder secret =
        new SecretBuilder()
            .withNewMetadata()
            .withName(credentialsName(fleet))
            .withNamespace(fleet.getMetadata().getNamespace())
            .addToLabels(ApiGroup.FLEET_LABEL, fleet.getMetadata().getName())
            .withOwnerReferences(ownerReference(fleet))
            .endMetadata()
            .withType("Opaque")
            .addToData(USERNAME, b64("pf-" + random(secureRandom, 8).toLowerCase()))
            .addToData(PASSWORD, b64(random(secureRandom, 32)));
    if (sharesMtprotoSecret(fleet)) {
      secret.addToData(MTPROTO_SECRET, b64(FakeTlsSecret.newKey(secureRandom)));
    }
    return secret.build();
  }

  /**
   * Whether the fleet's proxies share one MTProto key (an mtproto fleet with secretScope fleet).
   */
  public static boolean sharesMtprotoSecret(ProxyFleet fleet) {
    return Protocol.MTPROTO.wireName().equals(fleet.getSpec().getProtocol())
        && !perProxyMtprotoSecret(fleet);
  }

  public static boolean perProxyMtprotoSecret(ProxyFleet fleet) {
    MtprotoSpec mtproto = fleet.getSpec().getMtproto();
    return Protocol.MTPROTO.wireName().equals(fleet.getSpec().getProtocol())
        && mtproto != null
        && MtprotoSpec.SCOPE_PROXY.equals(mtproto.getSecretScope());
  }

  public static String mtprotoKeyName(String proxyName) {
    return MTPROTO_SECRET_PREFIX + proxyName;
  }

  /**
   * The MTProto key of this proxy: its own key when the Secret has one, else the fleet's. One rule
   * for the proxy controller (what the daemon gets) and the fleet controller (what the link says),
   * so the two always agree, also for proxies launched before a scope change.
   */
  public static Optional<String> mtprotoKey(Secret secret, String proxyName) {
    for (String key : new String[] {mtprotoKeyName(proxyName), MTPROTO_SECRET}) {
      String value = secret == null ? null : value(secret, key);
      if (value != null && FakeTlsSecret.KEY.matcher(value).matches()) {
        return Optional.of(value);
      }
    }
    return Optional.empty();
  }

  /**
   * The credentials one proxy enforces: username and password, plus for mtproto the FakeTLS secret
   * from its key and the domain it was launched with. Empty when something is missing.
   */
  public static Optional<ProxyCredentials> forProxy(Secret secret, Proxy proxy) {
    Optional<ProxyCredentials> base = read(secret);
    if (base.isEmpty() || !Protocol.MTPROTO.wireName().equals(proxy.getSpec().getProtocol())) {
      return base;
    }
    String domain = proxy.getSpec().getFakeTlsDomain();
    if (!FakeTlsSecret.validDomain(domain)) {
      return Optional.empty();
    }
    return mtprotoKey(secret, proxy.getMetadata().getName())
        .map(key -> base.get().withFakeTls(new FakeTlsSecret(key, domain)));
  }

  /** Adds a base64 value to a Secret's data. */
  public static void put(Secret secret, String key, String value) {
    secret.getData().put(key, b64(value));
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

  public static Secret endpoints(ProxyFleet fleet, String json, String subscription) {
    // A Secret holds at most 1 MiB. Fleets whose documents exceed PLAIN_LIMIT (the largest MTProto
    // fleet's are about 3 MB) get them gzipped under the .gz keys instead: links repeat the
    // domain and the credentials, so they shrink about tenfold.
    boolean compress = json.length() + subscription.length() > PLAIN_LIMIT;
    return new SecretBuilder()
        .withNewMetadata()
        .withName(endpointsName(fleet))
        .withNamespace(fleet.getMetadata().getNamespace())
        .addToLabels(ApiGroup.FLEET_LABEL, fleet.getMetadata().getName())
        .withOwnerReferences(ownerReference(fleet))
        .endMetadata()
        .withType("Opaque")
        .addToData(
            compress ? ENDPOINTS_GZIP_KEY : ENDPOINTS_KEY,
            compress ? Base64.getEncoder().encodeToString(gzip(json)) : b64(json))
        .addToData(
            compress ? SUBSCRIPTION_GZIP_KEY : SUBSCRIPTION_KEY,
            compress ? Base64.getEncoder().encodeToString(gzip(subscription)) : b64(subscription))
        .build();
  }

  /**
   * The endpoints document of an endpoints Secret, from whichever key holds it; null when neither
   * does.
   */
  public static String endpointsJson(Secret secret) {
    return document(secret, ENDPOINTS_KEY, ENDPOINTS_GZIP_KEY);
  }

  /**
   * The subscription list of an endpoints Secret, from whichever key holds it; null when neither
   * does.
   */
  public static String subscription(Secret secret) {
    return document(secret, SUBSCRIPTION_KEY, SUBSCRIPTION_GZIP_KEY);
  }

  private static String document(Secret secret, String plainKey, String gzipKey) {
    Map<String, String> data = secret.getData();
    if (data != null && data.get(gzipKey) != null) {
      try (var in =
          new java.util.zip.GZIPInputStream(
              new java.io.ByteArrayInputStream(Base64.getDecoder().decode(data.get(gzipKey))))) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (java.io.IOException | IllegalArgumentException e) {
        throw new IllegalStateException(
            "key "
                + gzipKey
                + " of Secret "
                + secret.getMetadata().getName()
                + " is not base64 gzip: "
                + e.getMessage(),
            e);
      }
    }
    return value(secret, plainKey);
  }

  private static byte[] gzip(String text) {
    var bytes = new java.io.ByteArrayOutputStream();
    try (var out = new java.util.zip.GZIPOutputStream(bytes)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * Whether a Secret the fleet writes belongs to this incarnation of the fleet. One left by a
   * deleted fleet of the same name is owned by another UID: the API server's garbage collector
   * deletes it sooner or later, so adopting it loses the credentials under running proxies.
   */
  public static boolean ownedBy(Secret secret, ProxyFleet fleet) {
    List<OwnerReference> owners = secret.getMetadata().getOwnerReferences();
    return owners != null
        && owners.stream().anyMatch(o -> Objects.equals(o.getUid(), fleet.getMetadata().getUid()));
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

  public static String value(Secret secret, String key) {
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
