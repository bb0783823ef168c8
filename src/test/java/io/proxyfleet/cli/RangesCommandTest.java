package io.proxyfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.proxyfleet.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RangesCommandTest {

  static final String AWS = TestData.path(TestData.AWS_2018).toString();
  static final String GCP = TestData.path(TestData.GCP_2021).toString();
  static final String TIMELINE = "timeline-csv:" + TestData.path(TestData.TIMELINE_2018);

  @Test
  void textIsAlignedAndWorstFirst() {
    CliRun run = CliRun.of("ranges", "--aws", AWS, "--blocklist", TIMELINE);
    assertThat(run.exitCode()).as(run.err()).isZero();
    String[] lines = run.out().split("\n");
    assertThat(lines[0])
        .contains("syncToken 1522952176")
        .contains("service EC2")
        .contains("21 regions");
    assertThat(lines[1]).contains("38 entries, 0 skipped, 14417920 IPv4 addresses");
    assertThat(lines[2]).matches("REGION +ADDRESSES +BLOCKED +BLOCKED%");
    assertThat(lines[3]).matches("eu-central-1 +1049888 +917504 +87\\.39%");
    assertThat(lines[4]).startsWith("eu-west-1 ").endsWith("55.81%");
    assertThat(lines).hasSize(3 + 21);
    // Aligned: every row is as wide as the header.
    for (int i = 3; i < lines.length; i++) {
      assertThat(lines[i]).hasSameSizeAs(lines[2]);
    }
  }

  @Test
  void jsonForGcpWithTwoBlocklists(@TempDir Path dir) throws Exception {
    Path extra = dir.resolve("extra.txt");
    Files.writeString(extra, "# one more\n34.89.0.0/16\nnot-an-ip\n");
    CliRun run =
        CliRun.of(
            "ranges",
            "--gcp",
            GCP,
            "--blocklist",
            TIMELINE,
            "--blocklist",
            "ip-list:" + extra,
            "--output",
            "json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode root = new ObjectMapper().readTree(run.out());
    assertThat(root.get("provider").asText()).isEqualTo("gcp");
    assertThat(root.get("service").asText()).isEqualTo("Google Cloud");
    assertThat(root.get("blocklists")).hasSize(2);
    assertThat(root.get("blocklists").get(1).get("skipped").asInt()).isEqualTo(1);
    assertThat(root.get("blocklists").get(1).get("firstErrors").get(0).asText())
        .startsWith("line 3: ");
    JsonNode first = root.get("regions").get(0);
    assertThat(first.get("region").asText()).isEqualTo("us-central2");
    assertThat(first.get("blockedPercent").asText()).isEqualTo("84.29");
    assertThat(root.get("regions")).hasSize(30);
  }

  @Test
  void anotherServiceCanBeChosen() {
    CliRun run = CliRun.of("ranges", "--aws", AWS, "--service", "AMAZON", "--blocklist", TIMELINE);
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("service AMAZON").contains("GLOBAL");
  }

  @Test
  void badInputExitsWithTwoAndSaysWhy(@TempDir Path dir) throws Exception {
    CliRun missing =
        CliRun.of("ranges", "--aws", dir.resolve("nope.json").toString(), "--blocklist", TIMELINE);
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("--aws: file").contains("nope.json not found");

    CliRun format = CliRun.of("ranges", "--aws", AWS, "--blocklist", "csv:" + dir);
    assertThat(format.exitCode()).isEqualTo(2);
    assertThat(format.err())
        .contains("unknown format 'csv'")
        .contains("ip-list, zapret-csv, timeline-csv");

    CliRun noColon = CliRun.of("ranges", "--aws", AWS, "--blocklist", "list.txt");
    assertThat(noColon.exitCode()).isEqualTo(2);
    assertThat(noColon.err()).contains("write FORMAT:FILE");

    CliRun noList =
        CliRun.of("ranges", "--aws", AWS, "--blocklist", "ip-list:" + dir.resolve("absent.txt"));
    assertThat(noList.exitCode()).isEqualTo(2);
    assertThat(noList.err()).contains("absent.txt not found");

    CliRun wrongCloud = CliRun.of("ranges", "--aws", GCP, "--blocklist", TIMELINE);
    assertThat(wrongCloud.exitCode()).isEqualTo(2);
    assertThat(wrongCloud.err()).contains("'ip_prefix'");

    CliRun html =
        CliRun.of(
            "ranges",
            "--gcp",
            Files.writeString(dir.resolve("page.json"), "<html>502</html>").toString(),
            "--blocklist",
            TIMELINE);
    assertThat(html.exitCode()).isEqualTo(2);
    assertThat(html.err()).contains("not JSON");

    CliRun noService =
        CliRun.of("ranges", "--aws", AWS, "--service", "EC3", "--blocklist", TIMELINE);
    assertThat(noService.exitCode()).isEqualTo(2);
    assertThat(noService.err()).contains("no region has prefixes of service 'EC3'").contains("EC2");

    CliRun both = CliRun.of("ranges", "--aws", AWS, "--gcp", GCP, "--blocklist", TIMELINE);
    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.err()).contains("mutually exclusive");

    CliRun output = CliRun.of("ranges", "--aws", AWS, "--blocklist", TIMELINE, "--output", "xml");
    assertThat(output.exitCode()).isEqualTo(2);
    assertThat(output.err()).contains("--output").contains("xml").contains("[text, json]");
  }
}
