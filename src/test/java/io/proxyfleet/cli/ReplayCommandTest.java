package io.proxyfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.proxyfleet.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayCommandTest {

  static final String AWS = TestData.path(TestData.AWS_2018).toString();
  static final String TIMELINE = TestData.path(TestData.TIMELINE_2018).toString();
  static final String FLEET = Path.of("examples/replay/fleet-2018-reassign.yaml").toString();

  @Test
  void replaysThe2018BlockadeWithTheExampleFleet() throws Exception {
    CliRun run =
        CliRun.of(
            "replay",
            "--fleet",
            FLEET,
            "--aws",
            AWS,
            "--timeline",
            TIMELINE,
            "--duration",
            "30h",
            "--start",
            "2018-04-16T12:00:00Z",
            "--output",
            "json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode r = new ObjectMapper().readTree(run.out());
    assertThat(r.get("replicas").asInt()).isEqualTo(24);
    assertThat(r.get("availability").asDouble()).isGreaterThan(0).isLessThanOrEqualTo(1);
    // Blocks before the start are in force from the start: the first proxies draw around them.
    assertThat(r.get("ips").get("blockedDraws").asLong()).isPositive();
    assertThat(r.get("ips").get("drawn").asLong())
        .isGreaterThanOrEqualTo(24 + r.get("ips").get("blockedDraws").asLong());
    List<String> regions = new ArrayList<>();
    for (JsonNode s : r.get("finalSpread")) {
      regions.add(s.get("region").asText());
      // eu-central-1 is 87.39% blocked, above the default maxRegionBlockedPercent 80: its share
      // moves.
      assertThat(s.get("desired").asInt())
          .isEqualTo(s.get("region").asText().equals("eu-central-1") ? 0 : 12);
      assertThat(s.get("onBlockedIp").asInt()).isZero();
      assertThat(s.get("serving").asInt()).isLessThanOrEqualTo(s.get("proxies").asInt());
    }
    assertThat(regions).containsExactly("eu-central-1", "eu-west-1", "us-east-1");
    // 2018-04-17 12:08 blocks 52.0.0.0/11 and 34.192.0.0/10: proxies in us-east-1 sit there often.
    JsonNode last = r.get("blockEvents").get(r.get("blockEvents").size() - 1);
    assertThat(last.get("at").asText()).isEqualTo("2018-04-17T12:08:28Z");
    assertThat(last.get("newlyBlockedAddresses").asLong()).isEqualTo(8_388_608L);
    assertThat(r.get("finalRegionExposure").get(0).get("blockedFraction").asDouble())
        .isBetween(0.8739, 0.8740);
    assertThat(r.get("recovery").get("affectedEvents").asInt())
        .isEqualTo(
            r.get("recovery").get("recovered").asInt()
                + r.get("recovery").get("unrecovered").asInt());
  }

  @Test
  void replaysAMixedAwsAndGcpFleetWhereTheBurnedAwsRegionsShareMoves() throws Exception {
    CliRun run =
        CliRun.of(
            "replay",
            "--fleet",
            Path.of("examples/replay/fleet-2018-mixed.yaml").toString(),
            "--aws",
            AWS,
            "--gcp",
            TestData.path(TestData.GCP_2021).toString(),
            "--timeline",
            TIMELINE,
            "--output",
            "json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode r = new ObjectMapper().readTree(run.out());
    java.util.Map<String, Integer> desired = new java.util.TreeMap<>();
    for (JsonNode s : r.get("finalSpread")) {
      desired.put(
          s.get("cloudProfile").asText("") + "/" + s.get("region").asText(),
          s.get("desired").asInt());
      assertThat(s.get("onBlockedIp").asInt()).isZero();
    }
    // eu-central-1 ends 87.39% blocked: its AWS share moves to eu-west-1; the GCP regions keep
    // theirs.
    assertThat(desired)
        .containsEntry("aws-prod/eu-central-1", 0)
        .containsEntry("aws-prod/eu-west-1", 16)
        .containsEntry("gcp-prod/europe-west3", 4)
        .containsEntry("gcp-prod/europe-west1", 4);
    assertThat(r.get("availability").asDouble()).isGreaterThan(0.99);
  }

  @Test
  void textReportNamesEveryFigure() {
    CliRun run =
        CliRun.of(
            "replay",
            "--fleet",
            Path.of("examples/replay/fleet-2018-replace.yaml").toString(),
            "--aws",
            AWS,
            "--timeline",
            TIMELINE,
            "--duration",
            "6h",
            "--start",
            "2018-04-17T08:00:00Z",
            "--detection-delay",
            "5m");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("onBlocked Replace")
        .contains("list lag 5m")
        .contains("availability: ")
        .contains("recovery: ")
        .contains("IPs drawn: ")
        .contains("rotations by reason: ")
        .contains("2018-04-17T12:08:28Z")
        .contains("eu-central-1")
        .contains("ON BLOCKED")
        .contains("censor: the timeline only")
        .contains("detection: lists only, 5m after each report")
        .contains("blocked proxy addresses found: ");

    CliRun censored =
        CliRun.of(
            "replay",
            "--fleet",
            FLEET,
            "--aws",
            AWS,
            "--timeline",
            TIMELINE,
            "--duration",
            "3h",
            "--start",
            "2018-04-17T08:00:00Z",
            "--censor-learns-after",
            "1h",
            "--detection",
            "probes",
            "--confirm-rounds",
            "3");
    assertThat(censored.exitCode()).as(censored.err()).isZero();
    assertThat(censored.out())
        .contains("blocked after 3 failed rounds")
        .containsPattern("learning censor: \\d+ addresses and 0 /24s blocked")
        .containsPattern("found: \\d+ by lists, [1-9]\\d* by probes");
  }

  @Test
  void comparesListsAndProbesAgainstALearningCensorInOneCommand() throws Exception {
    String[] args = {
      "replay",
      "--fleet",
      FLEET,
      "--aws",
      AWS,
      "--timeline",
      TIMELINE,
      "--duration",
      "6h",
      "--start",
      "2018-04-16T00:00:00Z",
      "--censor-learns-after",
      "30m",
      "--detection",
      "lists,probes",
      "--probe-interval",
      "1m"
    };
    CliRun text = CliRun.of(args);
    assertThat(text.exitCode()).as(text.err()).isZero();
    assertThat(text.out())
        .contains(
            "censor: the timeline, plus a censor blocking each published address 30m after it first sees it")
        .contains(
            "detection probes: lists (0s after each report) plus a vantage probing running addresses every 1m, blocked after 2 failed rounds")
        .containsPattern("DETECTION +lists +probes")
        .contains("availability")
        .contains("found by probes (not blocked)")
        .contains("recovery p50 / p95 / max");

    List<String> json = new ArrayList<>(List.of(args));
    json.addAll(List.of("--output", "json", "--censor-range-after", "2"));
    CliRun run = CliRun.of(json.toArray(String[]::new));
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode both = new ObjectMapper().readTree(run.out());
    assertThat(both.isArray()).isTrue();
    JsonNode lists = both.get(0);
    JsonNode probes = both.get(1);
    assertThat(lists.get("detection").get("mode").asText()).isEqualTo("lists");
    assertThat(probes.get("detection").get("mode").asText()).isEqualTo("probes");
    assertThat(probes.get("detection").get("probeIntervalSeconds").asDouble()).isEqualTo(60.0);
    assertThat(probes.get("censor").get("learnsAfterSeconds").asDouble()).isEqualTo(1800.0);
    assertThat(probes.get("censor").get("rangeAfter").asInt()).isEqualTo(2);
    assertThat(lists.get("availability").asDouble())
        .isLessThan(probes.get("availability").asDouble());
    assertThat(lists.get("detection").get("foundByProbes").asLong()).isZero();
    assertThat(probes.get("detection").get("foundByProbes").asLong()).isPositive();
    boolean censoredEvent = false;
    for (JsonNode e : probes.get("blockEvents"))
      censoredEvent |= e.has("censored") && e.get("censored").size() > 0;
    assertThat(censoredEvent).isTrue();
  }

  @Test
  void badCensorAndDetectionOptionsExitWithTwoAndSayWhy() {
    String[] base = {"replay", "--fleet", FLEET, "--aws", AWS, "--timeline", TIMELINE};
    assertThat(fails(base, "--detection", "radar"))
        .contains("--detection 'radar'")
        .contains("lists, probes");
    assertThat(fails(base, "--probe-interval", "1m")).contains("add --detection probes");
    assertThat(fails(base, "--detection", "probes", "--confirm-rounds", "9"))
        .contains("--confirm-rounds 9")
        .contains("1 to 5");
    assertThat(fails(base, "--detection", "probes", "--range-threshold", "0"))
        .contains("--range-threshold 0");
    assertThat(fails(base, "--detection", "probes", "--probe-interval", "0s"))
        .contains("--probe-interval '0s'");
    assertThat(fails(base, "--censor-range-after", "3")).contains("needs --censor-learns-after");
    assertThat(fails(base, "--censor-learns-after", "soon"))
        .contains("--censor-learns-after 'soon'");
    assertThat(fails(base, "--censor-learns-after", "30m", "--censor-range-after", "0"))
        .contains("--censor-range-after 0");
  }

  private static String fails(String[] base, String... more) {
    List<String> args = new ArrayList<>(List.of(base));
    args.addAll(List.of(more));
    CliRun run = CliRun.of(args.toArray(String[]::new));
    assertThat(run.exitCode()).as(run.out()).isEqualTo(2);
    return run.err();
  }

  @Test
  void badInputExitsWithTwoAndSaysWhy(@TempDir Path dir) throws Exception {
    CliRun noFleet =
        CliRun.of(
            "replay",
            "--fleet",
            dir.resolve("none.yaml").toString(),
            "--aws",
            AWS,
            "--timeline",
            TIMELINE);
    assertThat(noFleet.exitCode()).isEqualTo(2);
    assertThat(noFleet.err()).contains("--fleet: file").contains("none.yaml not found");

    Path bad =
        Files.writeString(
            dir.resolve("bad.yaml"),
            Files.readString(Path.of(FLEET)).replace("replicas: 24", "replicas: -1"));
    CliRun invalid =
        CliRun.of("replay", "--fleet", bad.toString(), "--aws", AWS, "--timeline", TIMELINE);
    assertThat(invalid.exitCode()).isEqualTo(2);
    assertThat(invalid.err()).contains("spec.replicas").contains("negative");

    Path mars =
        Files.writeString(
            dir.resolve("mars.yaml"),
            Files.readString(Path.of(FLEET)).replace("us-east-1", "mars-1"));
    CliRun region =
        CliRun.of("replay", "--fleet", mars.toString(), "--aws", AWS, "--timeline", TIMELINE);
    assertThat(region.exitCode()).isEqualTo(2);
    assertThat(region.err()).contains("region 'mars-1'").contains("eu-central-1");

    CliRun noRanges = CliRun.of("replay", "--fleet", FLEET, "--timeline", TIMELINE);
    assertThat(noRanges.exitCode()).isEqualTo(2);
    assertThat(noRanges.err()).contains("--aws FILE and/or --gcp FILE");

    CliRun gcpOnly =
        CliRun.of(
            "replay",
            "--fleet",
            FLEET,
            "--gcp",
            TestData.path(TestData.GCP_2021).toString(),
            "--timeline",
            TIMELINE);
    assertThat(gcpOnly.exitCode()).isEqualTo(2);
    assertThat(gcpOnly.err()).contains("cloudProfile 'aws-prod' is aws: give --aws FILE");

    Path header = Files.writeString(dir.resolve("t.csv"), "when,range\n2018-04-16,10.0.0.0/8\n");
    CliRun timeline =
        CliRun.of("replay", "--fleet", FLEET, "--aws", AWS, "--timeline", header.toString());
    assertThat(timeline.exitCode()).isEqualTo(2);
    assertThat(timeline.err()).contains("needs a 'cidr' column");

    CliRun duration =
        CliRun.of(
            "replay",
            "--fleet",
            FLEET,
            "--aws",
            AWS,
            "--timeline",
            TIMELINE,
            "--duration",
            "two days");
    assertThat(duration.exitCode()).isEqualTo(2);
    assertThat(duration.err()).contains("--duration 'two days'");

    CliRun start =
        CliRun.of(
            "replay", "--fleet", FLEET, "--aws", AWS, "--timeline", TIMELINE, "--start", "April");
    assertThat(start.exitCode()).isEqualTo(2);
    assertThat(start.err()).contains("--start 'April'");

    Path yaml =
        Files.writeString(dir.resolve("broken.yaml"), "kind: ProxyFleet\nspec: [unclosed\n");
    CliRun broken =
        CliRun.of("replay", "--fleet", yaml.toString(), "--aws", AWS, "--timeline", TIMELINE);
    assertThat(broken.exitCode()).isEqualTo(2);
    assertThat(broken.err()).contains("--fleet").contains(yaml.toString());
  }
}
