package io.proxyfleet.cloud.gcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.api.client.http.HttpResponseException;
import com.google.api.gax.rpc.ApiException;
import com.google.cloud.compute.v1.Operation;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import java.io.IOException;
import java.util.Locale;
import java.util.Set;

/**
 * Maps Compute Engine failures (HTTP errors with a GCE {@code reason}, and operations that end DONE
 * with an error {@code code}) onto the shared {@link Reason}s. The rules, in order:
 *
 * <ul>
 *   <li>{@code rateLimitExceeded}, {@code userRateLimitExceeded} (GCE sends them as 403) and 429 →
 *       THROTTLED, never capacity and never unauthorized;
 *   <li>{@code ZONE_RESOURCE_POOL_EXHAUSTED} (and {@code _WITH_DETAILS}), {@code
 *       ZONE_RESOURCE_POOL_EXHAUSTED}-like stockouts → CAPACITY_UNAVAILABLE (the zone is skipped);
 *   <li>{@code QUOTA_EXCEEDED} / {@code quotaExceeded} → QUOTA_EXCEEDED;
 *   <li>401, other 403, a refused token grant → UNAUTHORIZED;
 *   <li>404 of an image, network, subnetwork or machine type, and 400 naming one → INVALID naming
 *       the profile field; other 404 → NOT_FOUND; other 400 → INVALID;
 *   <li>everything else (5xx, I/O, timeouts) → TRANSIENT.
 * </ul>
 */
final class GcpErrors {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> THROTTLING =
      Set.of("rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED");
  private static final Set<String> STOCKOUT =
      Set.of(
          "ZONE_RESOURCE_POOL_EXHAUSTED",
          "ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS",
          "RESOURCE_POOL_EXHAUSTED");

  /** Where the failed call came from, to name the field to fix. */
  record Context(GcpProfile profile, String where, String method) {}

  private GcpErrors() {}

  /** The error of an operation that ended DONE with an error. */
  static CloudException fromOperation(Context c, Operation op) {
    String code = op.getError().getErrorsCount() == 0 ? "" : op.getError().getErrors(0).getCode();
    String message =
        op.getError().getErrorsCount() == 0
            ? op.getHttpErrorMessage()
            : op.getError().getErrors(0).getMessage();
    return classify(c, op.getHttpErrorStatusCode(), code, message, null);
  }

  static CloudException map(Context c, RuntimeException e) {
    if (e instanceof CloudException ce) {
      return ce;
    }
    int status = 0;
    String reason = "";
    String message = e.getMessage();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof HttpResponseException h) {
        status = h.getStatusCode();
        String content = h.getContent();
        if (content != null) {
          try {
            JsonNode error = JSON.readTree(content).path("error");
            if (error.isObject()) {
              reason = error.path("errors").path(0).path("reason").asText("");
              message = error.path("message").asText(message);
            } else if (error.isTextual()) {
              // An OAuth token endpoint answer: {"error":"invalid_grant",...}
              return new CloudException(
                  Reason.UNAUTHORIZED,
                  prefix(c)
                      + "the service-account key was refused ("
                      + error.asText()
                      + "): fix the key in spec.gcp.credentialsSecret or the workload identity",
                  e);
            }
          } catch (IOException ignored) {
            // not JSON: keep the status
          }
        }
        break;
      }
      if (t instanceof ApiException api
          && status == 0
          && api.getStatusCode().getTransportCode() instanceof Integer code) {
        status = code;
      }
      if (t instanceof IOException io && io.getClass().getName().startsWith("com.google.auth")
          || t.getMessage() != null && t.getMessage().contains("invalid_grant")) {
        return new CloudException(
            Reason.UNAUTHORIZED,
            prefix(c)
                + "the credentials were refused: fix spec.gcp.credentialsSecret"
                + " or the workload identity",
            e);
      }
      if (t instanceof IOException io
          && io.getMessage() != null
          && io.getMessage().contains("default credentials")) {
        return new CloudException(
            Reason.UNAUTHORIZED,
            prefix(c)
                + "no application default credentials: set"
                + " spec.gcp.credentialsSecret or give the operator a workload identity",
            e);
      }
    }
    return classify(c, status, reason, message, e);
  }

  private static CloudException classify(
      Context c, int status, String code, String message, Throwable cause) {
    String m = message == null ? "" : message;
    String lower = m.toLowerCase(Locale.ROOT);
    String text = prefix(c) + (code == null || code.isEmpty() ? "" : code + ": ") + m;
    if (THROTTLING.contains(code) || status == 429) {
      return new CloudException(Reason.THROTTLED, text, cause);
    }
    if (STOCKOUT.contains(code) || code.startsWith("ZONE_RESOURCE_POOL_EXHAUSTED")) {
      return new CloudException(Reason.CAPACITY_UNAVAILABLE, text, cause);
    }
    if (code.equals("QUOTA_EXCEEDED")
        || code.equals("quotaExceeded")
        || lower.startsWith("quota '")) {
      return new CloudException(
          Reason.QUOTA_EXCEEDED,
          text + " (raise the quota in the project or lower the fleet's replicas)",
          cause);
    }
    if (status == 401 || status == 403) {
      return new CloudException(
          Reason.UNAUTHORIZED,
          text
              + " (grant the role in operator/gcp-iam-role.yaml to the operator's"
              + " service account, or fix spec.gcp.credentialsSecret)",
          cause);
    }
    String field = field(c.profile(), lower);
    if (field != null && (status == 400 || status == 404)) {
      return new CloudException(
          Reason.INVALID,
          "CloudProfile "
              + c.profile().key()
              + ": "
              + field
              + " is not usable in "
              + c.where()
              + ": "
              + m,
          cause);
    }
    if (status == 404) {
      return new CloudException(Reason.NOT_FOUND, text, cause);
    }
    if (status == 400 && !code.equals("resourceInUseByAnotherResource")) {
      return new CloudException(Reason.INVALID, text, cause);
    }
    return new CloudException(Reason.TRANSIENT, text, cause);
  }

  /** The profile field a 400/404 message is about, if it names one. */
  private static String field(GcpProfile p, String lower) {
    if (lower.contains("/global/images/") || lower.contains("sourceimage")) {
      return "spec.gcp.image";
    }
    if (lower.contains("machinetype")) {
      return "spec.gcp.machineType";
    }
    if (lower.contains("/subnetworks/") || lower.contains("'subnetwork'")) {
      return "spec.gcp.regions[].subnetwork";
    }
    if (lower.contains("/global/networks/")) {
      return "spec.gcp.network";
    }
    if (lower.contains("projects/" + p.project() + "'") && lower.contains("was not found")) {
      return "spec.gcp.project";
    }
    return null;
  }

  private static String prefix(Context c) {
    return "CloudProfile " + c.profile().key() + ": " + c.method() + " in " + c.where() + ": ";
  }

  /** Whether the error says the resource exists already (409 on insert). */
  static boolean alreadyExists(RuntimeException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof HttpResponseException h && h.getStatusCode() == 409) {
        return true;
      }
      if (t instanceof ApiException api
          && Integer.valueOf(409).equals(api.getStatusCode().getTransportCode())) {
        return true;
      }
    }
    return false;
  }
}
