package io.proxyfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The operator's logging and resync flags: bad values are refused with the flag named. */
class OperatorFlagsTest {

  @Test
  void badLogLevelsAndFormatsAreNamed() {
    assertThat(OperatorCommand.configureLogging("loud", "text")).startsWith("--log-level: 'loud'");
    assertThat(OperatorCommand.configureLogging("info", "xml")).startsWith("--log-format: 'xml'");
  }

  @Test
  void resyncIsAGoDurationOfAtLeastTenSeconds() {
    List<String> errors = new ArrayList<>();
    assertThat(OperatorCommand.resync("2m", errors::add)).contains(Duration.ofMinutes(2));
    assertThat(OperatorCommand.resync("5s", errors::add)).isEmpty();
    assertThat(OperatorCommand.resync("soon", errors::add)).isEmpty();
    assertThat(errors).hasSize(2).allSatisfy(e -> assertThat(e).startsWith("--resync-period: "));
  }

  @Test
  void theCommandRefusesThemBeforeTouchingACluster() {
    assertThat(Main.run("operator", "--resync-period=1s")).isEqualTo(2);
    assertThat(Main.run("operator", "--log-format=xml")).isEqualTo(2);
  }
}
