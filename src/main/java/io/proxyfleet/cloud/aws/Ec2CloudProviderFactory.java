package io.proxyfleet.cloud.aws;

import io.proxyfleet.api.AwsCredentialsSecret;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.cloud.CloudProviderFactory;
import io.proxyfleet.cloud.SecretReader;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.client.config.SdkAdvancedClientOption;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.Ec2ClientBuilder;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.StsClientBuilder;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;

/**
 * Builds {@link Ec2CloudProvider}s for CloudProfiles with {@code provider: aws}.
 *
 * <p>Credentials: static keys from {@code spec.aws.credentialsSecret} (read through the {@link
 * SecretReader}, re-read every minute), else the SDK default chain (environment, web identity =
 * IRSA on EKS, container and instance roles); {@code spec.aws.assumeRoleArn} wraps either with STS
 * AssumeRole. One JDK-based HTTP client (no Apache, no Netty) serves every region of a profile.
 */
public final class Ec2CloudProviderFactory implements CloudProviderFactory {

  private final String cluster;
  private final SecretReader secrets;
  private final Ec2Settings settings;
  private final Clock clock;

  /**
   * @param cluster the operator's cluster name (value of the {@code proxyfleet.io/cluster} tag)
   * @param secrets reads Secrets named by profiles
   * @param settings rate limits, caches, retries and timeouts
   * @param clock time of caches, capacity holds and tags
   */
  public Ec2CloudProviderFactory(
      String cluster, SecretReader secrets, Ec2Settings settings, Clock clock) {
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.secrets = Objects.requireNonNull(secrets, "secrets");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public Ec2CloudProviderFactory(String cluster, SecretReader secrets) {
    this(cluster, secrets, Ec2Settings.defaults(), Clock.systemUTC());
  }

  @Override
  public String type() {
    return Ec2CloudProvider.TYPE;
  }

  @Override
  public Ec2CloudProvider create(CloudProfile profile) {
    AwsProfile p = AwsProfile.from(profile);
    List<AutoCloseable> resources = new ArrayList<>();
    SdkHttpClient http =
        UrlConnectionHttpClient.builder()
            .connectionTimeout(settings.connectTimeout())
            .socketTimeout(settings.socketTimeout())
            .build();
    resources.add(http);
    AwsCredentialsProvider credentials;
    Supplier<Collection<String>> redact;
    AwsCredentialsSecret secret = p.credentialsSecret();
    if (secret != null) {
      SecretCredentialsProvider fromSecret =
          new SecretCredentialsProvider(
              secrets,
              p.namespace(),
              secret.getName(),
              Optional.ofNullable(secret.getAccessKeyIdKey()).orElse("accessKeyId"),
              Optional.ofNullable(secret.getSecretAccessKeyKey()).orElse("secretAccessKey"),
              Optional.ofNullable(secret.getSessionTokenKey()).orElse("sessionToken"),
              clock,
              Duration.ofMinutes(1));
      credentials = fromSecret;
      redact = fromSecret::secrets;
    } else {
      DefaultCredentialsProvider chain = DefaultCredentialsProvider.builder().build();
      resources.add(chain);
      credentials = chain;
      redact = Set::of;
    }
    if (p.assumeRoleArn() != null) {
      StsClientBuilder sts =
          StsClient.builder()
              .region(Region.of(p.regions().get(0)))
              .credentialsProvider(credentials)
              .httpClient(http)
              .overrideConfiguration(override(null));
      if (p.endpoint() != null) {
        sts.endpointOverride(p.endpoint());
      }
      StsClient stsClient = sts.build();
      StsAssumeRoleCredentialsProvider assumed =
          StsAssumeRoleCredentialsProvider.builder()
              .stsClient(stsClient)
              .asyncCredentialUpdateEnabled(false)
              .refreshRequest(
                  r ->
                      r.roleArn(p.assumeRoleArn())
                          .roleSessionName(sessionName(cluster))
                          .externalId(p.externalId())
                          .durationSeconds(3600))
              .build();
      resources.add(0, assumed);
      resources.add(1, stsClient);
      credentials = assumed;
    }
    AwsCredentialsProvider effective = credentials;
    Ec2CloudProvider.ClientFactory clients =
        (region, interceptor) -> {
          Ec2ClientBuilder b =
              Ec2Client.builder()
                  .region(Region.of(region))
                  .credentialsProvider(effective)
                  .httpClient(http)
                  .overrideConfiguration(override(interceptor));
          if (p.endpoint() != null) {
            b.endpointOverride(p.endpoint());
          }
          return b.build();
        };
    return new Ec2CloudProvider(p, cluster, settings, clock, clients, resources, redact);
  }

  private ClientOverrideConfiguration override(
      software.amazon.awssdk.core.interceptor.ExecutionInterceptor interceptor) {
    ClientOverrideConfiguration.Builder o =
        ClientOverrideConfiguration.builder()
            .apiCallTimeout(settings.callTimeout())
            .apiCallAttemptTimeout(settings.attemptTimeout())
            .retryStrategy(retryStrategy(settings))
            .putAdvancedOption(
                SdkAdvancedClientOption.USER_AGENT_SUFFIX, Ec2CloudProvider.USER_AGENT);
    if (interceptor != null) {
      o.addExecutionInterceptor(interceptor);
    }
    return o.build();
  }

  /**
   * The SDK's standard retries (throttling codes, 5xx, I/O) with a capped number of attempts and
   * bounded back-off, and without the retry circuit breaker (whose quota would otherwise turn a
   * burst of throttling into client-side failures that are not classified as THROTTLED).
   */
  static RetryStrategy retryStrategy(Ec2Settings settings) {
    return AwsRetryStrategy.standardRetryStrategy().toBuilder()
        .maxAttempts(settings.maxAttempts())
        .backoffStrategy(
            BackoffStrategy.exponentialDelay(settings.retryBase(), settings.retryMax()))
        .throttlingBackoffStrategy(
            BackoffStrategy.exponentialDelay(settings.throttleRetryBase(), settings.retryMax()))
        .circuitBreakerEnabled(false)
        .build();
  }

  static String sessionName(String cluster) {
    String s = "proxyfleet-" + cluster.replaceAll("[^\\w+=,.@-]", "-");
    return s.length() > 64 ? s.substring(0, 64) : s;
  }

  @Override
  public String toString() {
    return "Ec2CloudProviderFactory[cluster=" + cluster + "]";
  }
}
