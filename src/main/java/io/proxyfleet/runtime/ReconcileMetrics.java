package io.proxyfleet.runtime;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.processing.Controller;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Map;

/**
 * JOSDK's Micrometer metrics with one correction: its {@code timeControllerExecution} rethrows a
 * reconciler's exception wrapped in an {@code OperatorException}, so {@code updateErrorStatus}
 * would see the wrapper instead of, say, the 403 {@code KubernetesClientException} the fleet
 * reports as {@code Degraded/Forbidden}. Here the reconciler's own exception is rethrown (after the
 * timer and counters have recorded the failure), exactly as without metrics.
 */
final class ReconcileMetrics implements Metrics {

  private final Metrics delegate;

  ReconcileMetrics(Metrics delegate) {
    this.delegate = delegate;
  }

  @Override
  public <T> T timeControllerExecution(ControllerExecution<T> execution) throws Exception {
    Exception[] thrown = new Exception[1];
    ControllerExecution<T> recording =
        new ControllerExecution<>() {
          @Override
          public String name() {
            return execution.name();
          }

          @Override
          public String controllerName() {
            return execution.controllerName();
          }

          @Override
          public String successTypeName(T result) {
            return execution.successTypeName(result);
          }

          @Override
          public ResourceID resourceID() {
            return execution.resourceID();
          }

          @Override
          public Map<String, Object> metadata() {
            return execution.metadata();
          }

          @Override
          public T execute() throws Exception {
            try {
              return execution.execute();
            } catch (Exception e) {
              thrown[0] = e;
              throw e;
            }
          }
        };
    try {
      return delegate.timeControllerExecution(recording);
    } catch (Exception e) {
      throw thrown[0] != null ? thrown[0] : e;
    }
  }

  @Override
  public void controllerRegistered(Controller<? extends HasMetadata> controller) {
    delegate.controllerRegistered(controller);
  }

  @Override
  public void receivedEvent(Event event, Map<String, Object> metadata) {
    delegate.receivedEvent(event, metadata);
  }

  @Override
  public void reconcileCustomResource(
      HasMetadata resource, RetryInfo retryInfo, Map<String, Object> metadata) {
    delegate.reconcileCustomResource(resource, retryInfo, metadata);
  }

  @Override
  public void failedReconciliation(
      HasMetadata resource, Exception exception, Map<String, Object> metadata) {
    delegate.failedReconciliation(resource, exception, metadata);
  }

  @Override
  public void reconciliationExecutionStarted(HasMetadata resource, Map<String, Object> metadata) {
    delegate.reconciliationExecutionStarted(resource, metadata);
  }

  @Override
  public void reconciliationExecutionFinished(HasMetadata resource, Map<String, Object> metadata) {
    delegate.reconciliationExecutionFinished(resource, metadata);
  }

  @Override
  public void cleanupDoneFor(ResourceID resourceID, Map<String, Object> metadata) {
    delegate.cleanupDoneFor(resourceID, metadata);
  }

  @Override
  public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
    delegate.finishedReconciliation(resource, metadata);
  }

  @Override
  public <T extends Map<?, ?>> T monitorSizeOf(T map, String name) {
    return delegate.monitorSizeOf(map, name);
  }
}
