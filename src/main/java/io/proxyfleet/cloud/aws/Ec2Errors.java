package io.proxyfleet.cloud.aws;

import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The one place where EC2 and SDK failures become {@link CloudException} reasons. Messages name the
 * CloudProfile field to fix where one is at fault, and never contain credentials.
 */
public final class Ec2Errors {

  private static final Set<String> UNAUTHORIZED =
      Set.of(
          "AuthFailure",
          "UnauthorizedOperation",
          "InvalidClientTokenId",
          "SignatureDoesNotMatch",
          "ExpiredToken",
          "ExpiredTokenException",
          "RequestExpired",
          "AccessDenied",
          "AccessDeniedException",
          "OptInRequired",
          "Blocked",
          "PendingVerification",
          "IncompleteSignature",
          "MissingAuthenticationToken");
  private static final Set<String> THROTTLED =
      Set.of(
          "RequestLimitExceeded",
          "Throttling",
          "ThrottlingException",
          "TooManyRequestsException",
          "RequestThrottled",
          "RequestThrottledException",
          "SlowDown",
          "PriorRequestNotComplete");
  private static final Set<String> CAPACITY =
      Set.of(
          "InsufficientInstanceCapacity",
          "InsufficientAddressCapacity",
          "Unsupported",
          "InsufficientHostCapacity",
          "InsufficientReservedInstanceCapacity",
          "InsufficientCapacity",
          "InsufficientFreeAddressesInSubnet");
  private static final Set<String> QUOTA =
      Set.of(
          "AddressLimitExceeded",
          "InstanceLimitExceeded",
          "VcpuLimitExceeded",
          "MaxSpotInstanceCountExceeded",
          "ResourceLimitExceeded",
          "SecurityGroupLimitExceeded",
          "RulesPerSecurityGroupLimitExceeded",
          "VolumeLimitExceeded",
          "NetworkInterfaceLimitExceeded");

  private Ec2Errors() {}

  /**
   * Where a failed call came from, so an INVALID error can name the field behind the bad value.
   *
   * @param profile "namespace/name" of the CloudProfile
   * @param region region of the call
   * @param operation EC2 operation, e.g. RunInstances
   * @param imageField the field the AMI came from, e.g. {@code spec.aws.image.ids[eu-central-1]}
   * @param securityGroupField the field the security groups came from
   */
  public record Context(
      String profile,
      String region,
      String operation,
      String imageField,
      String securityGroupField) {
    public static Context of(String profile, String region, String operation) {
      return new Context(
          profile, region, operation, "spec.aws.image", "spec.aws.securityGroups.ids");
    }
  }

  /** The EC2 error code of a failure, or null when it is not a service error. */
  public static String code(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof AwsServiceException ase && ase.awsErrorDetails() != null) {
        return ase.awsErrorDetails().errorCode();
      }
    }
    return null;
  }

  /** Classifies any failure of an EC2 call. {@code secrets} are removed from messages. */
  public static CloudException map(Throwable t, Context ctx, Collection<String> secrets) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof CloudException ce) {
        return ce;
      }
    }
    String where = "CloudProfile " + ctx.profile() + ", " + ctx.region() + " " + ctx.operation();
    String code = code(t);
    AwsServiceException ase = (AwsServiceException) find(t, AwsServiceException.class);
    if (ase != null && (code == null || code.isEmpty())) {
      // The JDK HTTP client hands back no body for 401 (EC2's AuthFailure): classify by status.
      int status = ase.statusCode();
      Reason reason =
          status == 401 || status == 403
              ? Reason.UNAUTHORIZED
              : status == 429 ? Reason.THROTTLED : Reason.TRANSIENT;
      String text =
          where
              + " failed: HTTP "
              + status
              + (status == 401 ? " (AuthFailure: credentials rejected)" : "")
              + hint("HTTP" + status, reason, ctx);
      return new CloudException(reason, text, sanitized(t, secrets));
    }
    if (code != null) {
      String message = redact(ase.awsErrorDetails().errorMessage(), secrets);
      Reason reason = reason(code, ase.statusCode());
      String text = where + " failed: " + code + ": " + message + hint(code, reason, ctx);
      return new CloudException(reason, text, sanitized(t, secrets));
    }
    if (find(t, ApiCallTimeoutException.class) != null
        || find(t, ApiCallAttemptTimeoutException.class) != null) {
      return new CloudException(
          Reason.TRANSIENT, where + " timed out; retrying later", sanitized(t, secrets));
    }
    if (find(t, IOException.class) != null
        || find(t, UncheckedIOException.class) != null
        || t instanceof AbortedException) {
      return new CloudException(
          Reason.TRANSIENT,
          where + " failed: " + redact(rootMessage(t), secrets),
          sanitized(t, secrets));
    }
    if (t instanceof SdkClientException) {
      String m = redact(rootMessage(t), secrets);
      if (m != null && (m.contains("Unable to load credentials") || m.contains("credentials"))) {
        return new CloudException(
            Reason.UNAUTHORIZED,
            where
                + ": no AWS credentials: "
                + m
                + "; set spec.aws.credentialsSecret or give the operator an identity (IRSA, instance role)",
            null);
      }
      return new CloudException(Reason.TRANSIENT, where + " failed: " + m, sanitized(t, secrets));
    }
    return new CloudException(
        Reason.TRANSIENT,
        where + " failed: " + redact(rootMessage(t), secrets),
        sanitized(t, secrets));
  }

  /** The reason for an EC2 error code (and HTTP status when the code is unknown). */
  public static Reason reason(String code, int status) {
    if (UNAUTHORIZED.contains(code)) {
      return Reason.UNAUTHORIZED;
    }
    if (THROTTLED.contains(code)) {
      return Reason.THROTTLED;
    }
    if (CAPACITY.contains(code)) {
      return Reason.CAPACITY_UNAVAILABLE;
    }
    if (QUOTA.contains(code) || code.endsWith("LimitExceeded")) {
      return Reason.QUOTA_EXCEEDED;
    }
    if (code.endsWith(".NotFound") || code.endsWith(".NotFoundException")) {
      // A missing subnet, image or group named in the profile is a bad setting; a missing instance
      // or
      // address is simply gone (callers treat that as done where it is).
      return code.startsWith("InvalidSubnet")
              || code.startsWith("InvalidAMIID")
              || code.startsWith("InvalidGroup")
              || code.startsWith("InvalidVpcID")
              || code.startsWith("InvalidKeyPair")
          ? Reason.INVALID
          : Reason.NOT_FOUND;
    }
    if (code.startsWith("InvalidSubnetID")
        || code.startsWith("InvalidAMIID")
        || code.startsWith("InvalidGroup")
        || code.equals("InvalidParameterValue")
        || code.equals("InvalidParameterCombination")
        || code.equals("InvalidParameter")
        || code.equals("MissingParameter")
        || code.equals("InvalidInstanceType")
        || code.equals("InvalidUserData.Malformed")
        || code.equals("InvalidBlockDeviceMapping")
        || code.equals("IdempotentParameterMismatch")) {
      return Reason.INVALID;
    }
    if (code.equals("IncorrectInstanceState")
        || code.equals("IncorrectState")
        || code.equals("InvalidIPAddress.InUse")
        || code.equals("InvalidInstanceID")
        || code.equals("DependencyViolation")) {
      return Reason.TRANSIENT;
    }
    if (status >= 500
        || code.equals("InternalError")
        || code.equals("ServiceUnavailable")
        || code.equals("Unavailable")) {
      return Reason.TRANSIENT;
    }
    if (code.startsWith("Invalid")) {
      return Reason.INVALID;
    }
    return Reason.TRANSIENT;
  }

  private static String hint(String code, Reason reason, Context ctx) {
    String region = ctx.region();
    if (code.startsWith("InvalidSubnetID")) {
      return " (fix spec.aws.subnets.ids or spec.aws.subnets.tags: the subnet must exist in "
          + region
          + ")";
    }
    if (code.startsWith("InvalidAMIID")) {
      return " (fix "
          + ctx.imageField()
          + ": the AMI must exist and be available in "
          + region
          + ")";
    }
    if (code.startsWith("InvalidGroup")) {
      return " (fix "
          + ctx.securityGroupField()
          + ": the group must exist in the subnet's VPC in "
          + region
          + ")";
    }
    if (code.equals("InvalidParameterValue") || code.equals("InvalidInstanceType")) {
      return " (check spec.aws.instanceType, "
          + ctx.imageField()
          + " and spec.aws.subnets of CloudProfile "
          + ctx.profile()
          + ")";
    }
    if (code.equals("Unsupported")) {
      return " (spec.aws.instanceType is not offered in this zone; other zones are tried)";
    }
    return switch (reason) {
      case UNAUTHORIZED ->
          " (fix spec.aws.credentialsSecret, spec.aws.assumeRoleArn or the operator's IAM policy: see operator/aws-iam-policy.json)";
      case QUOTA_EXCEEDED -> " (raise the account's EC2 quota in " + region + " or lower replicas)";
      case THROTTLED -> " (EC2 request limit; backing off)";
      default -> "";
    };
  }

  private static Throwable find(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return c;
      }
    }
    return null;
  }

  private static String rootMessage(Throwable t) {
    String m = t.getMessage();
    for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
      if (c.getMessage() != null) {
        m = c.getMessage();
      }
    }
    return m;
  }

  static String redact(String message, Collection<String> secrets) {
    if (message == null) {
      return null;
    }
    String out = message;
    for (String s : secrets) {
      if (s != null && s.length() >= 4) {
        out = out.replace(s, "<redacted>");
      }
    }
    return out;
  }

  /**
   * The cause kept on the CloudException: the SDK exception itself when its message is clean, else
   * none (a stack trace printed later must not leak what the message hides).
   */
  private static Throwable sanitized(Throwable t, Collection<String> secrets) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      String m = c.getMessage();
      if (m != null && !m.equals(redact(m, secrets))) {
        return null;
      }
    }
    return t instanceof SdkException ? t : null;
  }
}
