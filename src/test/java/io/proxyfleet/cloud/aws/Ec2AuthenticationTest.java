package io.proxyfleet.cloud.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.api.AwsCredentialsSecret;
import io.proxyfleet.api.AwsProviderSpec;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.SecretReader;
import io.proxyfleet.replay.SimulatedClock;
import io.proxyfleet.testing.AwsTestCloud;
import io.proxyfleet.testing.MotoServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bad credentials against moto with its IAM checks on ({@code INITIAL_NO_AUTH_ACTION_COUNT=0}):
 * every request is authenticated against moto's IAM, so unknown keys are rejected as EC2 would.
 */
class Ec2AuthenticationTest {

  @RegisterExtension
  static final MotoServer MOTO = new MotoServer(Map.of("INITIAL_NO_AUTH_ACTION_COUNT", "0"));

  @Test
  void unknownKeysAreUnauthorizedFromVerifyAccessWithoutLeakingTheSecret() {
    SecretReader keys =
        (ns, name) ->
            Optional.of(
                Map.of(
                    "accessKeyId",
                    "AKIAUNKNOWNKEY000000",
                    "secretAccessKey",
                    "notARealSecretKey123"));
    AwsProviderSpec aws = AwsTestCloud.aws(MOTO.endpoint(), List.of("eu-central-1"), "proxies");
    AwsCredentialsSecret secret = new AwsCredentialsSecret();
    secret.setName("aws-keys");
    aws.setCredentialsSecret(secret);
    Ec2Settings fast =
        Ec2Settings.defaults()
            .withRetries(2, Duration.ofMillis(5), Duration.ofMillis(5), Duration.ofMillis(20));
    try (Ec2CloudProvider p =
        new Ec2CloudProviderFactory("c", keys, fast, new SimulatedClock(java.time.Instant.now()))
            .create(AwsTestCloud.profile("aws", aws, Map.of()))) {
      CloudException e = Ec2CloudProviderTest.catchCloud(p::verifyAccess);
      assertThat(e.reason()).as(e.getMessage()).isEqualTo(Reason.UNAUTHORIZED);
      assertThat(e.getMessage())
          .contains("401")
          .contains("credentialsSecret")
          .doesNotContain("notARealSecretKey123");
      assertThat(
              Ec2CloudProviderTest.catchCloud(() -> p.findInstance("eu-central-1", "x")).reason())
          .isEqualTo(Reason.UNAUTHORIZED);
    }
  }
}
