package io.proxyfleet.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * JSON logs: one parseable object per record, the level respected, and chosen by the properties
 * --log-format=json sets.
 */
class JsonLogProviderTest {

  /** Logs as the operator would, in a JVM of its own (SLF4J picks its provider once per JVM). */
  public static void main(String[] args) {
    Logger log = LoggerFactory.getLogger("io.proxyfleet.fleet.FleetReconciler");
    log.debug("not shown at info");
    log.info("Fleet {} has {} proxies", "p/tg", 4);
    log.warn("quote \" and newline\n inside", new IllegalStateException("boom"));
  }

  @Test
  void aRecordIsOneJsonObjectWithItsFields() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Logger log =
        new JsonLogProvider.JsonLogger(
            "x.Y", Level.INFO, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    log.debug("hidden");
    log.info("a {} b {}", 1, "two");
    log.error("failed", new IllegalArgumentException("bad"));
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).hasSize(2);
    JsonNode first = new ObjectMapper().readTree(lines.get(0));
    assertThat(first.get("level").asText()).isEqualTo("INFO");
    assertThat(first.get("logger").asText()).isEqualTo("x.Y");
    assertThat(first.get("message").asText()).isEqualTo("a 1 b two");
    assertThat(first.has("time")).isTrue();
    JsonNode second = new ObjectMapper().readTree(lines.get(1));
    assertThat(second.get("exception").asText()).contains("IllegalArgumentException: bad");
  }

  @Test
  void thePropertiesTheFlagSetsSwitchAForkedJvmToJsonOnly() throws Exception {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dslf4j.provider=" + JsonLogProvider.class.getName(),
                "-D" + JsonLogProvider.LEVEL_PROPERTY + "=info",
                "-Dslf4j.internal.verbosity=WARN",
                "-cp",
                System.getProperty("java.class.path"),
                JsonLogProviderTest.class.getName())
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    List<String> lines =
        new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertThat(lines)
        .hasSize(2)
        .allSatisfy(l -> assertThat(new ObjectMapper().readTree(l).isObject()).isTrue());
    assertThat(new ObjectMapper().readTree(lines.get(1)).get("message").asText())
        .isEqualTo("quote \" and newline\n inside");
  }
}
