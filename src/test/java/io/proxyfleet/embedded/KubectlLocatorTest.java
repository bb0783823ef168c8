package io.proxyfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.proxyfleet.testing.Kubectl;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/** A missing kubectl skips the kubectl tests on a workstation but fails them in CI. */
class KubectlLocatorTest {

  @Test
  void foundKubectlIsUsed() {
    assertThat(Kubectl.require(Optional.of("/opt/kubectl"), true)).isEqualTo("/opt/kubectl");
  }

  @Test
  void missingKubectlSkipsWithInstallHintOutsideCi() {
    assertThatThrownBy(() -> Kubectl.require(Optional.empty(), false))
        .isInstanceOf(TestAbortedException.class)
        .hasMessageContaining("kubectl not found")
        .hasMessageContaining("install kubectl");
  }

  @Test
  void missingKubectlFailsInCi() {
    assertThatThrownBy(() -> Kubectl.require(Optional.empty(), true))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("CI=true")
        .hasMessageContaining("install kubectl");
  }
}
