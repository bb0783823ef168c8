package io.proxyfleet.cloud;

import static org.assertj.core.api.Assertions.assertThatCode;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import org.junit.jupiter.api.Test;

class ObservedCloudProviderTest {

  @Test
  void theMetricsDecoratorForwardsEveryMethodOfTheInterface() {
    // A default method it does not override would answer the interface's default instead of the
    // adapter's: GCE's managedRegions once did, hiding dropped regions from the garbage collector.
    for (Method m : CloudProvider.class.getMethods()) {
      if (Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      assertThatCode(
              () ->
                  ObservedCloudProvider.class.getDeclaredMethod(m.getName(), m.getParameterTypes()))
          .as("ObservedCloudProvider overrides " + m.getName())
          .doesNotThrowAnyException();
    }
  }
}
