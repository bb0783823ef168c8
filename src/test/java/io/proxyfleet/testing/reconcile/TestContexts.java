package io.proxyfleet.testing.reconcile;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A JOSDK {@link Context} for calling a reconciler's {@code reconcile} or {@code cleanup} directly:
 * the client, the secondary resources a test hands out by type, and the retry state. Anything else
 * a reconciler asks for fails the test, so a new dependency on the context shows at once.
 */
public final class TestContexts {

  private TestContexts() {}

  /**
   * @param secondaries the secondary resources of each type, in the order the reconciler should see
   *     them (evaluated on every call, so a test can change them between passes)
   * @param retry what JOSDK would say about earlier failed attempts
   */
  @SuppressWarnings("unchecked")
  public static <P extends HasMetadata> Context<P> context(
      KubernetesClient client,
      Function<Class<?>, Collection<?>> secondaries,
      Supplier<Optional<RetryInfo>> retry) {
    return (Context<P>)
        java.lang.reflect.Proxy.newProxyInstance(
            TestContexts.class.getClassLoader(),
            new Class<?>[] {Context.class},
            (self, method, args) ->
                switch (method.getName()) {
                  case "getClient" -> client;
                  case "getRetryInfo" -> retry.get();
                  case "getSecondaryResources" ->
                      new LinkedHashSet<>(secondaries.apply((Class<?>) args[0]));
                  case "getSecondaryResourcesAsStream" ->
                      new LinkedHashSet<>(secondaries.apply((Class<?>) args[0])).stream();
                  case "getSecondaryResource" -> single(secondaries.apply((Class<?>) args[0]));
                  case "toString" -> "test context";
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }

  /** As {@link #context(KubernetesClient, Function, Supplier)}, never a retry. */
  public static <P extends HasMetadata> Context<P> context(
      KubernetesClient client, Function<Class<?>, Collection<?>> secondaries) {
    return context(client, secondaries, Optional::empty);
  }

  private static Optional<?> single(Collection<?> resources) {
    if (resources.size() > 1) {
      throw new IllegalStateException("more than one secondary resource of the type asked for");
    }
    return resources.stream().findFirst();
  }
}
