package io.proxyfleet.cloud.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;

/** The classification table of {@link Ec2Errors}, without a network. */
class Ec2ErrorsTest {

  static final Ec2Errors.Context CTX =
      new Ec2Errors.Context(
          "default/aws",
          "eu-central-1",
          "RunInstances",
          "spec.aws.image.ids[eu-central-1]",
          "spec.aws.securityGroups.ids");

  static AwsServiceException error(String code, int status, String message) {
    return AwsServiceException.builder()
        .statusCode(status)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).build())
        .build();
  }

  @ParameterizedTest(name = "{0} -> {2}")
  @CsvSource({
    "AuthFailure, 401, UNAUTHORIZED",
    "UnauthorizedOperation, 403, UNAUTHORIZED",
    "InvalidClientTokenId, 400, UNAUTHORIZED",
    "SignatureDoesNotMatch, 403, UNAUTHORIZED",
    "ExpiredToken, 400, UNAUTHORIZED",
    "RequestExpired, 400, UNAUTHORIZED",
    "RequestLimitExceeded, 503, THROTTLED",
    "Throttling, 400, THROTTLED",
    "InsufficientInstanceCapacity, 500, CAPACITY_UNAVAILABLE",
    "InsufficientAddressCapacity, 500, CAPACITY_UNAVAILABLE",
    "Unsupported, 400, CAPACITY_UNAVAILABLE",
    "AddressLimitExceeded, 400, QUOTA_EXCEEDED",
    "InstanceLimitExceeded, 400, QUOTA_EXCEEDED",
    "VcpuLimitExceeded, 400, QUOTA_EXCEEDED",
    "InvalidSubnetID.NotFound, 400, INVALID",
    "InvalidSubnetID.Malformed, 400, INVALID",
    "InvalidAMIID.NotFound, 400, INVALID",
    "InvalidAMIID.Unavailable, 400, INVALID",
    "InvalidGroup.NotFound, 400, INVALID",
    "InvalidParameterValue, 400, INVALID",
    "InvalidInstanceID.NotFound, 400, NOT_FOUND",
    "InvalidAllocationID.NotFound, 400, NOT_FOUND",
    "InvalidAddress.NotFound, 400, NOT_FOUND",
    "IncorrectInstanceState, 400, TRANSIENT",
    "InvalidIPAddress.InUse, 400, TRANSIENT",
    "InternalError, 500, TRANSIENT",
    "ServiceUnavailable, 503, TRANSIENT",
    "SomethingNew, 502, TRANSIENT",
  })
  void codes(String code, int status, Reason reason) {
    CloudException e = Ec2Errors.map(error(code, status, "m"), CTX, List.of());
    assertThat(e.reason()).isEqualTo(reason);
    assertThat(e.getMessage())
        .startsWith("CloudProfile default/aws, eu-central-1 RunInstances failed: " + code);
  }

  @Test
  void invalidMessagesNameTheFieldAndTheFix() {
    assertThat(
            Ec2Errors.map(error("InvalidAMIID.NotFound", 400, "no"), CTX, List.of()).getMessage())
        .contains("fix spec.aws.image.ids[eu-central-1]");
    assertThat(
            Ec2Errors.map(error("InvalidSubnetID.NotFound", 400, "no"), CTX, List.of())
                .getMessage())
        .contains("spec.aws.subnets.ids");
    assertThat(
            Ec2Errors.map(error("InvalidGroup.NotFound", 400, "no"), CTX, List.of()).getMessage())
        .contains("spec.aws.securityGroups.ids");
    assertThat(Ec2Errors.map(error("AuthFailure", 401, "no"), CTX, List.of()).getMessage())
        .contains("spec.aws.credentialsSecret")
        .contains("aws-iam-policy.json");
  }

  @Test
  void statusWithoutBodyIsClassifiedByStatus() {
    AwsServiceException bare = AwsServiceException.builder().statusCode(401).build();
    assertThat(Ec2Errors.map(bare, CTX, List.of()).reason()).isEqualTo(Reason.UNAUTHORIZED);
    assertThat(
            Ec2Errors.map(AwsServiceException.builder().statusCode(429).build(), CTX, List.of())
                .reason())
        .isEqualTo(Reason.THROTTLED);
    assertThat(
            Ec2Errors.map(AwsServiceException.builder().statusCode(502).build(), CTX, List.of())
                .reason())
        .isEqualTo(Reason.TRANSIENT);
  }

  @Test
  void clientSideFailures() {
    assertThat(Ec2Errors.map(ApiCallTimeoutException.create(1000), CTX, List.of()).reason())
        .isEqualTo(Reason.TRANSIENT);
    assertThat(
            Ec2Errors.map(
                    SdkClientException.create(
                        "Unable to execute HTTP request", new IOException("refused")),
                    CTX,
                    List.of())
                .reason())
        .isEqualTo(Reason.TRANSIENT);
    assertThat(
            Ec2Errors.map(
                    SdkClientException.create(
                        "Unable to load credentials from any of the providers"),
                    CTX,
                    List.of())
                .reason())
        .isEqualTo(Reason.UNAUTHORIZED);
    CloudException inner = new CloudException(Reason.THROTTLED, "client-side rate limit");
    assertThat(Ec2Errors.map(SdkClientException.create("wrapped", inner), CTX, List.of()))
        .isSameAs(inner);
  }

  @Test
  void secretsAreRedactedFromMessagesAndCauses() {
    CloudException e =
        Ec2Errors.map(
            error("SignatureDoesNotMatch", 403, "string to sign had SECRETKEY123 in it"),
            CTX,
            List.of("SECRETKEY123"));
    assertThat(e.getMessage()).doesNotContain("SECRETKEY123").contains("<redacted>");
    assertThat(e.getCause()).as("a cause with the secret is dropped").isNull();
  }
}
