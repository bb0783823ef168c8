package io.proxyfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.proxyfleet.testing.SharedData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The blocklist tools run in-process through {@link Main} on the real files. */
class BlocklistCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void statsPrintsAnAlignedTablePerFileAndInTotal() {
    Run run =
        run(
            "blocklist",
            "stats",
            "--format",
            "ip-list",
            rkn("zi_ipv4_values_2025-10-01T1234Z.txt"),
            rkn("antifilter_subnet.lst"));
    assertThat(run.exit).isZero();
    assertThat(run.err).isEmpty();
    List<String> lines = run.out.lines().toList();
    assertThat(lines.get(0)).isEqualTo("format ip-list, encoding UTF-8");
    assertThat(lines.get(1))
        .startsWith("FILE")
        .contains("ROWS", "VALUES", "DISTINCT", "IPV6", "IPV4 ADDRESSES", "ERRORS");
    assertThat(lines.get(2).split("\\s+"))
        .containsExactly(
            rkn("zi_ipv4_values_2025-10-01T1234Z.txt"),
            "169,581",
            "169,581",
            "169,581",
            "0",
            "196,322",
            "86,065",
            "0",
            "0");
    assertThat(lines.get(3).split("\\s+"))
        .containsExactly(
            rkn("antifilter_subnet.lst"), "120", "120", "120", "0", "802,852", "100", "0", "0");
    assertThat(lines.get(4)).startsWith("total");
    // Right-aligned: every row ends its ERRORS column at the same place.
    assertThat(lines.subList(1, 5)).extracting(String::length).containsOnly(lines.get(1).length());
    assertThat(lines).hasSize(5);
  }

  @Test
  void statsAsJsonOnTheRegistryDump() throws Exception {
    Run run =
        run(
            "blocklist",
            "stats",
            "--format",
            "zapret-csv",
            "--output",
            "json",
            rkn("zi_dump-08_2020-01-30_cp1251.csv"));
    assertThat(run.exit).isZero();
    JsonNode doc = JSON.readTree(run.out);
    assertThat(doc.get("format").asText()).isEqualTo("zapret-csv");
    assertThat(doc.get("encoding").asText()).isEqualTo("windows-1251");
    JsonNode file = doc.get("files").get(0);
    assertThat(file.get("rows").asLong()).isEqualTo(15882);
    assertThat(file.get("values").asLong()).isEqualTo(54434);
    assertThat(file.get("distinctValues").asLong()).isEqualTo(12216);
    assertThat(file.get("ipv6Values").asLong()).isEqualTo(19568);
    assertThat(file.get("ipv4Addresses").asLong()).isEqualTo(9109);
    assertThat(file.get("ipv4Ranges").asLong()).isEqualTo(8326);
    assertThat(file.get("rowsWithExtraFields").asLong()).isEqualTo(13);
    assertThat(file.get("rowsWithSeveralUrls").asLong()).isEqualTo(146);
    assertThat(file.get("parseErrors").asLong()).isZero();
    assertThat(doc.get("total").get("values").asLong()).isEqualTo(54434);
  }

  @Test
  void theTotalCountsValuesSharedByTwoFilesOnce() throws Exception {
    // The two 2025-10-01 snapshots differ by two values.
    Run run =
        run(
            "blocklist",
            "stats",
            "--format",
            "ip-list",
            "--output",
            "json",
            rkn("zi_ipv4_values_2025-10-01T0623Z.txt"),
            rkn("zi_ipv4_values_2025-10-01T1234Z.txt"));
    JsonNode total = JSON.readTree(run.out).get("total");
    assertThat(total.get("values").asLong()).isEqualTo(169579 + 169581);
    List<String> older = Files.readAllLines(SharedData.rkn("zi_ipv4_values_2025-10-01T0623Z.txt"));
    List<String> newer = Files.readAllLines(SharedData.rkn("zi_ipv4_values_2025-10-01T1234Z.txt"));
    java.util.Set<String> union = new java.util.HashSet<>(older);
    union.addAll(newer);
    assertThat(total.get("distinctValues").asLong()).isEqualTo(union.size());
  }

  @Test
  void statsListsTheFirstErrorsWithLineNumbers() throws Exception {
    Path list = dir.resolve("manual.lst");
    Files.writeString(
        list, "10.0.0.0/8\n10.0.0.1/40\n# comment\n192.168.0.0/16\n", StandardCharsets.UTF_8);
    Run run = run("blocklist", "stats", "--format", "ip-list", list.toString());
    assertThat(run.exit).isZero();
    assertThat(run.out)
        .contains(
            list + ": 1 parse errors, first:",
            "  line 2: '10.0.0.1/40': prefix length 40 is larger than 32");
  }

  @Test
  void checkSaysWhichFileAndWhichMergedRangeBlocksAnAddress() {
    Run run =
        run(
            "blocklist",
            "check",
            "--format",
            "ip-list",
            rkn("zi_ipv4_values_2025-10-01T1234Z.txt"),
            rkn("antifilter_ipsum.lst"),
            "--",
            "8.8.8.8",
            "3.164.206.84",
            "2001:db8::1");
    assertThat(run.exit).as("some address is blocked").isEqualTo(1);
    assertThat(run.out.lines().map(l -> List.of(l.split("\\s+"))))
        .containsExactly(
            List.of("IP", "BLOCKED", "FILE", "RANGE"),
            List.of("8.8.8.8", "no", "-", "-"),
            // 3.164.206.83 to .86 are four single entries, merged into one range.
            List.of(
                "3.164.206.84",
                "yes",
                rkn("zi_ipv4_values_2025-10-01T1234Z.txt"),
                "3.164.206.83-3.164.206.86"),
            List.of("3.164.206.84", "yes", rkn("antifilter_ipsum.lst"), "3.164.206.0/24"),
            List.of("2001:db8::1", "no", "-", "-"));
  }

  @Test
  void checkAsJsonAndItsExitStatusWhenNothingIsBlocked() throws Exception {
    Run run =
        run(
            "blocklist",
            "check",
            "--format",
            "zapret-csv",
            "--output",
            "json",
            rkn("zi_dump-08_2020-01-30_cp1251.csv"),
            "--",
            "104.222.176.201",
            "9.9.9.9");
    assertThat(run.exit).isEqualTo(1);
    JsonNode results = JSON.readTree(run.out).get("results");
    assertThat(results.get(0).get("ip").asText()).isEqualTo("104.222.176.201");
    assertThat(results.get(0).get("blocked").asBoolean()).isTrue();
    assertThat(results.get(0).get("matches").get(0).get("range").asText())
        .isEqualTo("104.222.176.201/32");
    assertThat(results.get(1).get("blocked").asBoolean()).isFalse();
    assertThat(results.get(1).get("matches")).isEmpty();

    Run clean =
        run(
            "blocklist",
            "check",
            "--format",
            "zapret-csv",
            rkn("zi_dump-08_2020-01-30_cp1251.csv"),
            "--",
            "9.9.9.9");
    assertThat(clean.exit).isZero();
  }

  @Test
  void badInputExitsWithStatus2AndSaysWhatToDo() throws Exception {
    Path page = dir.resolve("list.txt");
    Files.writeString(page, "<html><body>Service Unavailable</body></html>\n");

    Run html = run("blocklist", "stats", "--format", "ip-list", page.toString());
    assertThat(html.exit).isEqualTo(2);
    assertThat(html.err).contains(page + ": not read as ip-list: line 1 starts with '<'");
    assertThat(html.out).isEmpty();

    Run missing =
        run(
            "blocklist",
            "check",
            "--format",
            "ip-list",
            dir.resolve("none.txt").toString(),
            "--",
            "1.2.3.4");
    assertThat(missing.exit).isEqualTo(2);
    assertThat(missing.err).contains("none.txt: no such file");

    Run noSeparator =
        run("blocklist", "check", "--format", "ip-list", rkn("antifilter_subnet.lst"), "1.2.3.4");
    assertThat(noSeparator.exit).isEqualTo(2);
    assertThat(noSeparator.err).contains("give files, then --, then addresses");

    Run badIp =
        run(
            "blocklist",
            "check",
            "--format",
            "ip-list",
            rkn("antifilter_subnet.lst"),
            "--",
            "1.2.3.400");
    assertThat(badIp.exit).isEqualTo(2);
    assertThat(badIp.err).contains("'1.2.3.400' is not an IPv4 address");

    Run range =
        run(
            "blocklist",
            "check",
            "--format",
            "ip-list",
            rkn("antifilter_subnet.lst"),
            "--",
            "1.2.3.0/24");
    assertThat(range.exit).isEqualTo(2);
    assertThat(range.err).contains("is a range");

    Run badFormat = run("blocklist", "stats", "--format", "csv", rkn("antifilter_subnet.lst"));
    assertThat(badFormat.exit).isEqualTo(2);
    assertThat(badFormat.err)
        .contains("'csv' is not a blocklist format; use one of ip-list, zapret-csv");

    Run badEncoding =
        run(
            "blocklist",
            "stats",
            "--format",
            "ip-list",
            "--encoding",
            "klingon",
            rkn("antifilter_subnet.lst"));
    assertThat(badEncoding.exit).isEqualTo(2);
    assertThat(badEncoding.err).contains("'klingon' is not an encoding");
  }

  private static String rkn(String file) {
    return SharedData.rkn(file).toString();
  }

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = Main.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exit = commandLine.execute(new ArrayList<>(List.of(args)).toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }
}
