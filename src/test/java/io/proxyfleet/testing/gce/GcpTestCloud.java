package io.proxyfleet.testing.gce;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.CloudProfileSpec;
import io.proxyfleet.api.GcpCredentialsSecret;
import io.proxyfleet.api.GcpProviderSpec;
import io.proxyfleet.api.GcpRegionSpec;
import io.proxyfleet.cloud.SecretReader;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Service-account keys, Secrets and CloudProfiles that point the gcp adapter at a {@link
 * FakeCompute}.
 */
public final class GcpTestCloud {

  public static final String SECRET = "gcp-key";

  private GcpTestCloud() {}

  /**
   * A real service-account key JSON (fresh RSA key) whose token_uri is the fake's token endpoint;
   * the account is registered with the fake unless {@code accepted} is false.
   */
  public static String serviceAccountKey(FakeCompute fake, String email, boolean accepted) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      byte[] pkcs8 = g.generateKeyPair().getPrivate().getEncoded();
      String pem =
          "-----BEGIN PRIVATE KEY-----\n"
              + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pkcs8)
              + "\n-----END PRIVATE KEY-----\n";
      ObjectNode key = new ObjectMapper().createObjectNode();
      key.put("type", "service_account");
      key.put("project_id", fake.project());
      key.put("private_key_id", "0123456789abcdef");
      key.put("private_key", pem);
      key.put("client_email", email);
      key.put("client_id", "1234567890");
      key.put("token_uri", fake.tokenUri());
      if (accepted) {
        fake.account(email);
      }
      return key.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A reader holding one Secret "gcp-key" with key.json. */
  public static SecretReader secrets(String keyJson) {
    return (ns, name) ->
        SECRET.equals(name) ? Optional.of(Map.of("key.json", keyJson)) : Optional.empty();
  }

  public static GcpProviderSpec spec(
      FakeCompute fake, String addressMode, List<GcpRegionSpec> regions) {
    GcpProviderSpec gcp = new GcpProviderSpec();
    gcp.setProject(fake.project());
    gcp.setEndpoint(fake.endpoint().toString());
    gcp.setRegions(regions);
    gcp.setAddressMode(addressMode);
    GcpCredentialsSecret secret = new GcpCredentialsSecret();
    secret.setName(SECRET);
    gcp.setCredentialsSecret(secret);
    return gcp;
  }

  public static CloudProfile profile(String name, GcpProviderSpec gcp, Map<String, String> tags) {
    CloudProfile p = new CloudProfile();
    p.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace("default")
            .withUid("uid-" + name)
            .withGeneration(1L)
            .build());
    CloudProfileSpec spec = new CloudProfileSpec();
    spec.setProvider("gcp");
    spec.setGcp(gcp);
    spec.setTags(new java.util.LinkedHashMap<>(tags));
    p.setSpec(spec);
    return p;
  }
}
