package io.proxyfleet.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.ParsedBlocklist;
import io.proxyfleet.block.format.BlocklistFormat;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code proxyfleet blocklist stats}: what each file holds, and all files together. */
@Command(
    name = "stats",
    mixinStandardHelpOptions = true,
    description = {
      "Per file and in total: rows, values read, distinct values, IPv6 values, IPv4 addresses covered"
          + " after merging, merged ranges, parse errors (with the first few).",
      "Exit status: 0 read, 2 usage error or a file that cannot be read as a list."
    })
final class BlocklistStatsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ListOptions list;

  @Parameters(arity = "1..*", paramLabel = "FILE", description = "Blocklist files, plain or gzip.")
  List<Path> files;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    BlockIndex.Builder combined = BlockIndex.builder();
    List<Map<String, Object>> perFile = new ArrayList<>();
    long lines = 0;
    long rows = 0;
    long values = 0;
    long ipv6 = 0;
    long errors = 0;
    long extra = 0;
    long severalUrls = 0;
    long withoutIps = 0;
    for (Path file : files) {
      ParsedBlocklist parsed;
      try {
        parsed = BlocklistFileSet.read(file, list.format, list.encoding, combined, list.limits());
      } catch (BlocklistFileSet.Unusable e) {
        spec.commandLine().getErr().println("blocklist stats: " + e.getMessage());
        return 2;
      }
      perFile.add(
          figures(
              file.toString(),
              parsed.index(),
              parsed.rows().lines(),
              parsed.rows().rows(),
              parsed.entries(),
              parsed.ipv6Values(),
              parsed.parseErrors(),
              parsed.firstErrors(),
              parsed.rows().rowsWithExtraFields(),
              parsed.rows().rowsWithSeveralUrls(),
              parsed.rows().rowsWithoutIps()));
      lines += parsed.rows().lines();
      rows += parsed.rows().rows();
      values += parsed.entries();
      ipv6 += parsed.ipv6Values();
      errors += parsed.parseErrors();
      extra += parsed.rows().rowsWithExtraFields();
      severalUrls += parsed.rows().rowsWithSeveralUrls();
      withoutIps += parsed.rows().rowsWithoutIps();
    }
    Map<String, Object> total =
        figures(
            "total",
            combined.build(),
            lines,
            rows,
            values,
            ipv6,
            errors,
            List.of(),
            extra,
            severalUrls,
            withoutIps);
    total.remove("firstErrors");
    Charset charset = list.encoding == null ? list.format.defaultCharset() : list.encoding;
    if (list.output == OutputFormat.json) {
      Map<String, Object> document = new LinkedHashMap<>();
      document.put("format", list.format.wireName());
      document.put("encoding", charset.name());
      document.put("files", perFile);
      document.put("total", total);
      out.println(
          new ObjectMapper()
              .enable(SerializationFeature.INDENT_OUTPUT)
              .writeValueAsString(document));
    } else {
      printText(out, perFile, total, charset);
    }
    out.flush();
    return 0;
  }

  private static Map<String, Object> figures(
      String file,
      BlockIndex index,
      long lines,
      long rows,
      long values,
      long ipv6Values,
      long parseErrors,
      List<String> firstErrors,
      long extraFields,
      long severalUrls,
      long withoutIps) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("file", file);
    f.put("lines", lines);
    f.put("rows", rows);
    f.put("values", values);
    f.put("distinctValues", (long) index.distinctValues());
    f.put("ipv6Values", ipv6Values);
    f.put("ipv4Addresses", index.ipv4Addresses());
    f.put("ipv4Ranges", (long) index.ipv4RangeCount());
    f.put("ipv6Ranges", (long) index.ipv6RangeCount());
    f.put("parseErrors", parseErrors);
    f.put("firstErrors", firstErrors);
    f.put("rowsWithExtraFields", extraFields);
    f.put("rowsWithSeveralUrls", severalUrls);
    f.put("rowsWithoutIps", withoutIps);
    return f;
  }

  private void printText(
      PrintWriter out,
      List<Map<String, Object>> perFile,
      Map<String, Object> total,
      Charset charset) {
    out.println("format " + list.format.wireName() + ", encoding " + charset.name());
    TextTable table =
        new TextTable(
            "FILE",
            "ROWS",
            "VALUES",
            "DISTINCT",
            "IPV6",
            "IPV4 ADDRESSES",
            "IPV4 RANGES",
            "IPV6 RANGES",
            "ERRORS");
    List<Map<String, Object>> all = new ArrayList<>(perFile);
    if (perFile.size() > 1) {
      all.add(total);
    }
    for (Map<String, Object> f : all) {
      table.row(
          f.get("file"),
          f.get("rows"),
          f.get("values"),
          f.get("distinctValues"),
          f.get("ipv6Values"),
          f.get("ipv4Addresses"),
          f.get("ipv4Ranges"),
          f.get("ipv6Ranges"),
          f.get("parseErrors"));
    }
    table.print(out);
    for (Map<String, Object> f : perFile) {
      if (list.format == BlocklistFormat.ZAPRET_CSV) {
        out.printf(
            "%s: %,d rows with ';' inside the URL, %,d with several URLs, %,d without IPs (domain only)%n",
            f.get("file"),
            f.get("rowsWithExtraFields"),
            f.get("rowsWithSeveralUrls"),
            f.get("rowsWithoutIps"));
      }
      @SuppressWarnings("unchecked")
      List<String> firstErrors = (List<String>) f.get("firstErrors");
      if (!firstErrors.isEmpty()) {
        out.printf("%s: %,d parse errors, first:%n", f.get("file"), f.get("parseErrors"));
        firstErrors.forEach(e -> out.println("  " + e));
      }
    }
  }
}
