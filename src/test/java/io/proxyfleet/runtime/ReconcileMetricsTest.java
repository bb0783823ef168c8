package io.proxyfleet.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The reconcile metrics record failures but hand the reconciler's own exception to JOSDK's error
 * handling.
 */
class ReconcileMetricsTest {

  @Test
  void aFailedReconcileIsCountedAndItsOwnExceptionRethrown() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Metrics metrics = OperatorMetrics.reconciles(registry);
    KubernetesClientException forbidden =
        new KubernetesClientException("proxies is forbidden", 403, null);

    // A 403 must reach updateErrorStatus as the KubernetesClientException it is
    // (Degraded/Forbidden).
    assertThatThrownBy(
            () ->
                metrics.timeControllerExecution(
                    execution(
                        () -> {
                          throw forbidden;
                        })))
        .isSameAs(forbidden);
    assertThat(metrics.timeControllerExecution(execution(() -> "done"))).isEqualTo("done");

    assertThat(registry.scrape())
        // JOSDK labels the failure with its wrapper's type; what matters is that it is counted.
        .containsPattern(
            "operator_sdk_controllers_execution_reconcile_failure_total\\{controller=\"proxyfleet\",exception=\"[A-Za-z]+\"} 1.0")
        .contains(
            "operator_sdk_controllers_execution_reconcile_success_total{controller=\"proxyfleet\",type=\"resource\"} 1.0");
  }

  interface Body {
    String run() throws Exception;
  }

  private static Metrics.ControllerExecution<String> execution(Body body) {
    return new Metrics.ControllerExecution<>() {
      @Override
      public String name() {
        return "reconcile";
      }

      @Override
      public String controllerName() {
        return "proxyfleet";
      }

      @Override
      public String successTypeName(String result) {
        return "resource";
      }

      @Override
      public ResourceID resourceID() {
        return new ResourceID("f", "ns");
      }

      @Override
      public Map<String, Object> metadata() {
        return Map.of();
      }

      @Override
      public String execute() throws Exception {
        return body.run();
      }
    };
  }
}
