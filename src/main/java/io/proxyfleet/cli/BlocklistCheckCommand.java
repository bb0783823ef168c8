package io.proxyfleet.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.block.IpRange;
import io.proxyfleet.block.ParsedBlocklist;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code proxyfleet blocklist check}: is each address blocked, by which file and which range. */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    customSynopsis =
        "proxyfleet blocklist check --format=FORMAT [--encoding=CS] [--output=text|json] FILE... -- IP...",
    description = {
      "For each IP: blocked or not, and every file that blocks it with the merged range that covers it.",
      "Exit status: 0 no address is blocked, 1 at least one is blocked, 2 usage error, an invalid address"
          + " or a file that cannot be read as a list."
    })
final class BlocklistCheckCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ListOptions list;

  @Parameters(
      arity = "1..*",
      paramLabel = "FILE... -- IP",
      description = "Blocklist files, then --, then addresses.")
  List<String> arguments;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    // picocli hands over files and addresses as one positional list; the "--" in the original
    // arguments says where the addresses begin.
    List<String> original = spec.commandLine().getParseResult().originalArgs();
    int separator = original.indexOf("--");
    int ipCount = separator < 0 ? 0 : original.size() - separator - 1;
    if (ipCount == 0 || ipCount >= arguments.size()) {
      err.println(
          "blocklist check: give files, then --, then addresses, e.g.: blocklist check --format ip-list"
              + " list.txt -- 1.2.3.4 2001:db8::1");
      return 2;
    }
    List<String> files = arguments.subList(0, arguments.size() - ipCount);
    List<String> ips = arguments.subList(arguments.size() - ipCount, arguments.size());
    for (String ip : ips) {
      Optional<String> problem = addressProblem(ip);
      if (problem.isPresent()) {
        err.println("blocklist check: " + problem.get());
        return 2;
      }
    }
    List<ParsedBlocklist> lists = new ArrayList<>();
    for (String file : files) {
      try {
        lists.add(
            BlocklistFileSet.read(Path.of(file), list.format, list.encoding, null, list.limits()));
      } catch (BlocklistFileSet.Unusable e) {
        err.println("blocklist check: " + e.getMessage());
        return 2;
      }
    }
    List<Map<String, Object>> results = new ArrayList<>();
    boolean anyBlocked = false;
    for (String ip : ips) {
      List<Map<String, String>> matches = new ArrayList<>();
      for (int i = 0; i < files.size(); i++) {
        Optional<IpRange> range = lists.get(i).index().match(ip);
        if (range.isPresent()) {
          Map<String, String> match = new LinkedHashMap<>();
          match.put("file", files.get(i));
          match.put("range", range.get().describe());
          matches.add(match);
        }
      }
      anyBlocked |= !matches.isEmpty();
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("ip", ip);
      result.put("blocked", !matches.isEmpty());
      result.put("matches", matches);
      results.add(result);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (list.output == OutputFormat.json) {
      out.println(
          new ObjectMapper()
              .enable(SerializationFeature.INDENT_OUTPUT)
              .writeValueAsString(Map.of("results", results)));
    } else {
      TextTable table = new TextTable("IP", "BLOCKED", "FILE", "RANGE");
      for (Map<String, Object> result : results) {
        @SuppressWarnings("unchecked")
        List<Map<String, String>> matches = (List<Map<String, String>>) result.get("matches");
        if (matches.isEmpty()) {
          table.row(result.get("ip"), "no", "-", "-");
        }
        for (Map<String, String> m : matches) {
          table.row(result.get("ip"), "yes", m.get("file"), m.get("range"));
        }
      }
      table.print(out);
    }
    out.flush();
    return anyBlocked ? 1 : 0;
  }

  private static Optional<String> addressProblem(String ip) {
    if (ip.indexOf('/') >= 0) {
      return Optional.of(
          "'"
              + ip
              + "' is a range; check single addresses such as "
              + ip.substring(0, ip.indexOf('/')));
    }
    try {
      IpAddresses.parseRange(ip);
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage() + "; give IPv4 or IPv6 addresses after --");
    }
  }
}
