package io.proxyfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.proxyfleet.testing.SharedData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The blocklist benchmark runs end to end on the real files in its shortest form. It checks the
 * report's shape and the agreement of index and baseline (the command fails when they disagree),
 * never the timings.
 */
class BlocklistBenchCommandTest {

  @Test
  void reportsEveryFigureForBothImplementations() throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = Main.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exit =
        commandLine.execute(
            "bench",
            "blocklist",
            "--runs",
            "1",
            "--lookup-millis",
            "20",
            "--probes",
            "65536",
            "--output",
            "json",
            "--data",
            SharedData.root().resolve("rkn").toString());

    assertThat(err.toString()).isEmpty();
    assertThat(exit).isZero();
    JsonNode report = new ObjectMapper().readTree(out.toString());
    assertThat(report.get("load").get("bytes").asLong()).isEqualTo(2376497);
    assertThat(report.get("zapretCsvMbPerSecond").get("bytes").asLong()).isEqualTo(3657676);
    for (String figure :
        new String[] {
          "load",
          "retainedHeapMb",
          "lookupsPerSecond",
          "lookupsPerSecondNearListed",
          "zapretCsvMbPerSecond"
        }) {
      assertThat(report.get(figure).has("proxyfleet")).as(figure).isTrue();
      assertThat(report.get(figure).has("baseline")).as(figure).isTrue();
    }
    assertThat(report.get("lookupsPerSecond").get("proxyfleet").get("median").asLong())
        .isPositive();
    // Addresses next to listed ranges hit some of them; uniform random ones rarely do.
    assertThat(report.get("lookupsPerSecondNearListed").get("hitsPerPass").asLong())
        .isGreaterThan(report.get("lookupsPerSecond").get("hitsPerPass").asLong());
  }

  @Test
  void saysWhereTheDataIsMissing(@TempDir Path empty) {
    StringWriter err = new StringWriter();
    CommandLine commandLine = Main.commandLine();
    commandLine.setErr(new PrintWriter(err, true));
    int exit = commandLine.execute("bench", "blocklist", "--data", empty.toString());
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("not found in " + empty).contains("pass --data DIR");
  }
}
