package io.proxyfleet.cloud.gcp;

import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.FixedCredentialsProvider;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.ClientSettings;
import com.google.api.gax.rpc.FixedHeaderProvider;
import com.google.api.gax.rpc.UnaryCallSettings;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import com.google.cloud.compute.v1.AddressesClient;
import com.google.cloud.compute.v1.AddressesSettings;
import com.google.cloud.compute.v1.FirewallsClient;
import com.google.cloud.compute.v1.FirewallsSettings;
import com.google.cloud.compute.v1.GlobalOperationsClient;
import com.google.cloud.compute.v1.GlobalOperationsSettings;
import com.google.cloud.compute.v1.InstancesClient;
import com.google.cloud.compute.v1.InstancesSettings;
import com.google.cloud.compute.v1.RegionOperationsClient;
import com.google.cloud.compute.v1.RegionOperationsSettings;
import com.google.cloud.compute.v1.RegionsClient;
import com.google.cloud.compute.v1.RegionsSettings;
import com.google.cloud.compute.v1.ZoneOperationsClient;
import com.google.cloud.compute.v1.ZoneOperationsSettings;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.CloudProviderFactory;
import io.proxyfleet.cloud.SecretReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Builds {@link GceCloudProvider}s for CloudProfiles with {@code provider: gcp}.
 *
 * <p>Credentials: a service-account key JSON from {@code spec.gcp.credentialsSecret}, else
 * application default credentials (Workload Identity on GKE, {@code
 * GOOGLE_APPLICATION_CREDENTIALS}, the metadata server). Every generated client gets explicit retry
 * settings: the defaults allow 600 s of retries per call, which would park a reconciler thread for
 * ten minutes.
 */
public final class GceCloudProviderFactory implements CloudProviderFactory {

  static final String SCOPE = "https://www.googleapis.com/auth/compute";
  static final String USER_AGENT = "proxyfleet/0.1.0";

  private final String cluster;
  private final SecretReader secrets;
  private final GcpSettings settings;
  private final Clock clock;
  private final RandomGenerator random;

  public GceCloudProviderFactory(
      String cluster,
      SecretReader secrets,
      GcpSettings settings,
      Clock clock,
      RandomGenerator random) {
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.secrets = Objects.requireNonNull(secrets, "secrets");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
  }

  public GceCloudProviderFactory(String cluster, SecretReader secrets) {
    this(
        cluster,
        secrets,
        GcpSettings.defaults(),
        Clock.systemUTC(),
        new java.security.SecureRandom());
  }

  @Override
  public String type() {
    return GceCloudProvider.TYPE;
  }

  @Override
  public GceCloudProvider create(CloudProfile profile) {
    GcpProfile p = GcpProfile.from(profile);
    CredentialsProvider credentials = FixedCredentialsProvider.create(credentials(p));
    String endpoint = p.endpoint() == null ? null : p.endpoint().toString().replaceAll("/+$", "");
    RetrySettings calls = retry(settings.callTimeout(), settings.rpcTimeout());
    // operations.wait blocks server-side until DONE (GCE: up to about two minutes): one attempt may
    // take the whole wait.
    RetrySettings waits = retry(settings.operationTimeout(), settings.operationTimeout());
    try {
      InstancesClient instances =
          InstancesClient.create(
              configure(InstancesSettings.newBuilder(), credentials, endpoint, calls)
                  .applyToAllUnaryMethods(b -> set(b, calls))
                  .build());
      AddressesClient addresses =
          AddressesClient.create(
              configure(AddressesSettings.newBuilder(), credentials, endpoint, calls)
                  .applyToAllUnaryMethods(b -> set(b, calls))
                  .build());
      FirewallsClient firewalls =
          FirewallsClient.create(
              configure(FirewallsSettings.newBuilder(), credentials, endpoint, calls)
                  .applyToAllUnaryMethods(b -> set(b, calls))
                  .build());
      RegionsClient regions =
          RegionsClient.create(
              configure(RegionsSettings.newBuilder(), credentials, endpoint, calls)
                  .applyToAllUnaryMethods(b -> set(b, calls))
                  .build());
      ZoneOperationsClient zoneOps =
          ZoneOperationsClient.create(
              configure(ZoneOperationsSettings.newBuilder(), credentials, endpoint, waits)
                  .applyToAllUnaryMethods(b -> set(b, waits))
                  .build());
      RegionOperationsClient regionOps =
          RegionOperationsClient.create(
              configure(RegionOperationsSettings.newBuilder(), credentials, endpoint, waits)
                  .applyToAllUnaryMethods(b -> set(b, waits))
                  .build());
      GlobalOperationsClient globalOps =
          GlobalOperationsClient.create(
              configure(GlobalOperationsSettings.newBuilder(), credentials, endpoint, waits)
                  .applyToAllUnaryMethods(b -> set(b, waits))
                  .build());
      return new GceCloudProvider(
          p,
          cluster,
          settings,
          clock,
          random,
          new GceCloudProvider.Clients(
              instances, addresses, firewalls, regions, zoneOps, regionOps, globalOps));
    } catch (IOException e) {
      throw new CloudException(
          Reason.TRANSIENT,
          "CloudProfile " + p.key() + ": cannot build the Compute Engine client: " + e.getMessage(),
          e);
    }
  }

  private GoogleCredentials credentials(GcpProfile p) {
    if (p.credentialsSecret() != null) {
      String name = p.credentialsSecret().getName();
      String key =
          p.credentialsSecret().getKey() == null ? "key.json" : p.credentialsSecret().getKey();
      Map<String, String> data =
          secrets
              .read(p.namespace(), name)
              .orElseThrow(
                  () ->
                      new CloudException(
                          Reason.UNAUTHORIZED,
                          "CloudProfile "
                              + p.key()
                              + ": spec.gcp.credentialsSecret: Secret "
                              + p.namespace()
                              + "/"
                              + name
                              + " not found; create it"
                              + " with the service-account key JSON under '"
                              + key
                              + "'"));
      String json = data.get(key);
      if (json == null || json.isBlank()) {
        throw new CloudException(
            Reason.UNAUTHORIZED,
            "CloudProfile "
                + p.key()
                + ": spec.gcp.credentialsSecret: Secret "
                + p.namespace()
                + "/"
                + name
                + " has no key '"
                + key
                + "' (it has: "
                + String.join(", ", data.keySet().stream().sorted().toList())
                + ")");
      }
      try {
        return ServiceAccountCredentials.fromStream(
                new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)))
            .createScoped(List.of(SCOPE));
      } catch (IOException | RuntimeException e) {
        // The parser's message may quote the key: say only what is wrong.
        throw new CloudException(
            Reason.UNAUTHORIZED,
            "CloudProfile "
                + p.key()
                + ": spec.gcp.credentialsSecret: '"
                + key
                + "' of Secret "
                + p.namespace()
                + "/"
                + name
                + " is not a service-account key JSON (type service_account with client_email and private_key)");
      }
    }
    try {
      return GoogleCredentials.getApplicationDefault().createScoped(List.of(SCOPE));
    } catch (IOException e) {
      throw new CloudException(
          Reason.UNAUTHORIZED,
          "CloudProfile "
              + p.key()
              + ": no application default credentials ("
              + e.getMessage()
              + "); set spec.gcp.credentialsSecret or give the operator a Workload Identity");
    }
  }

  private static <S extends ClientSettings<S>, B extends ClientSettings.Builder<S, B>> B configure(
      B builder, CredentialsProvider credentials, String endpoint, RetrySettings retry) {
    builder.setCredentialsProvider(credentials);
    builder.setHeaderProvider(FixedHeaderProvider.create("user-agent", USER_AGENT));
    if (endpoint != null) {
      builder.setEndpoint(endpoint);
    }
    return builder;
  }

  private static Void set(UnaryCallSettings.Builder<?, ?> b, RetrySettings retry) {
    b.setRetrySettings(retry);
    return null;
  }

  private RetrySettings retry(Duration total, Duration attempt) {
    return RetrySettings.newBuilder()
        .setInitialRetryDelayDuration(Duration.ofMillis(200))
        .setRetryDelayMultiplier(2.0)
        .setMaxRetryDelayDuration(Duration.ofSeconds(5))
        .setInitialRpcTimeoutDuration(attempt)
        .setRpcTimeoutMultiplier(1.0)
        .setMaxRpcTimeoutDuration(attempt)
        .setTotalTimeoutDuration(total)
        .setMaxAttempts(settings.maxAttempts())
        .build();
  }

  @Override
  public String toString() {
    return "GceCloudProviderFactory[cluster=" + cluster + "]";
  }
}
