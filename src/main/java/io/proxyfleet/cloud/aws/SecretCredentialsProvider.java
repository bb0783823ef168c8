package io.proxyfleet.cloud.aws;

import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.SecretReader;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * Static access keys from a Kubernetes Secret, re-read at most every {@code refresh} so a rotated
 * Secret takes effect without touching the CloudProfile. A missing Secret or key fails the call as
 * UNAUTHORIZED naming {@code spec.aws.credentialsSecret}.
 */
final class SecretCredentialsProvider implements AwsCredentialsProvider {

  private final SecretReader reader;
  private final String namespace;
  private final String name;
  private final String accessKeyIdKey;
  private final String secretAccessKeyKey;
  private final String sessionTokenKey;
  private final Clock clock;
  private final Duration refresh;

  /** Values to remove from any error message (secret key and session token ever loaded). */
  private final Set<String> secrets = ConcurrentHashMap.newKeySet();

  private volatile AwsCredentials cached;
  private volatile Instant loadedAt = Instant.MIN;

  SecretCredentialsProvider(
      SecretReader reader,
      String namespace,
      String name,
      String accessKeyIdKey,
      String secretAccessKeyKey,
      String sessionTokenKey,
      Clock clock,
      Duration refresh) {
    this.reader = reader;
    this.namespace = namespace;
    this.name = name;
    this.accessKeyIdKey = accessKeyIdKey;
    this.secretAccessKeyKey = secretAccessKeyKey;
    this.sessionTokenKey = sessionTokenKey;
    this.clock = clock;
    this.refresh = refresh;
  }

  Set<String> secrets() {
    return secrets;
  }

  @Override
  public AwsCredentials resolveCredentials() {
    AwsCredentials c = cached;
    if (c != null && clock.instant().isBefore(loadedAt.plus(refresh))) {
      return c;
    }
    synchronized (this) {
      Map<String, String> data;
      try {
        data = reader.read(namespace, name).orElse(null);
      } catch (RuntimeException e) {
        throw new CloudException(
            Reason.TRANSIENT,
            "spec.aws.credentialsSecret: could not read Secret '"
                + name
                + "' in namespace '"
                + namespace
                + "': "
                + e.getClass().getSimpleName());
      }
      if (data == null) {
        throw new CloudException(
            Reason.UNAUTHORIZED,
            "spec.aws.credentialsSecret: Secret '"
                + name
                + "' not found in namespace '"
                + namespace
                + "'; create it with keys "
                + accessKeyIdKey
                + " and "
                + secretAccessKeyKey);
      }
      String id = value(data, accessKeyIdKey);
      String secret = value(data, secretAccessKeyKey);
      if (id == null || secret == null) {
        throw new CloudException(
            Reason.UNAUTHORIZED,
            "spec.aws.credentialsSecret: Secret '"
                + name
                + "' in namespace '"
                + namespace
                + "' lacks key "
                + (id == null ? accessKeyIdKey : secretAccessKeyKey));
      }
      String token = value(data, sessionTokenKey);
      secrets.add(secret);
      if (token != null) {
        secrets.add(token);
      }
      c =
          token == null
              ? AwsBasicCredentials.create(id, secret)
              : AwsSessionCredentials.create(id, secret, token);
      cached = c;
      loadedAt = clock.instant();
      return c;
    }
  }

  private static String value(Map<String, String> data, String key) {
    return Optional.ofNullable(data.get(key))
        .map(String::trim)
        .filter(v -> !v.isEmpty())
        .orElse(null);
  }

  @Override
  public String toString() {
    return "SecretCredentialsProvider[" + namespace + "/" + name + "]";
  }
}
