package io.proxyfleet.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.proxyfleet.ranges.CloudRanges;
import io.proxyfleet.ranges.RangePublisher;
import io.proxyfleet.ranges.RegionExposure;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Per-region blocked fractions of a cloud's published ranges under one or more blocklists. */
@Command(
    name = "ranges",
    mixinStandardHelpOptions = true,
    description =
        "Show how much of each cloud region's public IPv4 space the blocklists cover, worst first.")
final class RangesCommand implements Callable<Integer> {

  /** Exactly one range file. */
  static final class Source {
    @Option(
        names = "--aws",
        paramLabel = "FILE",
        required = true,
        description = "AWS ip-ranges.json (plain or gzip).")
    Path aws;

    @Option(
        names = "--gcp",
        paramLabel = "FILE",
        required = true,
        description = "Google cloud.json (plain or gzip).")
    Path gcp;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Option(
      names = "--service",
      paramLabel = "NAME",
      description =
          "Service whose prefixes make up a region. Default: EC2 (AWS), Google Cloud (GCP).")
  String service;

  @Option(
      names = "--blocklist",
      paramLabel = "FORMAT:FILE",
      required = true,
      description =
          "Blocklist to apply, repeatable; FORMAT is ip-list, zapret-csv or timeline-csv (every range of a block timeline CSV).")
  List<String> blocklists;

  @Option(
      names = "--output",
      defaultValue = "text",
      paramLabel = "FORMAT",
      description = "text or json. Default: ${DEFAULT-VALUE}.")
  OutputFormat output;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      RangePublisher publisher = source.aws != null ? RangePublisher.AWS : RangePublisher.GCP;
      Path file = source.aws != null ? source.aws : source.gcp;
      CloudRanges ranges = RangeFiles.read(publisher, file, service);
      BlocklistFiles.Merged blocked = BlocklistFiles.read(blocklists);
      List<RegionExposure> regions = ranges.exposure(blocked.index());
      if (output == OutputFormat.json) {
        out.println(json(ranges, file, blocked, regions));
      } else {
        text(out, ranges, file, blocked, regions);
      }
      out.flush();
      return 0;
    } catch (UsageException e) {
      err.println("proxyfleet ranges: " + e.getMessage());
      err.flush();
      return UsageException.EXIT_CODE;
    }
  }

  static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.2f%%", fraction * 100);
  }

  private static void text(
      PrintWriter out,
      CloudRanges ranges,
      Path file,
      BlocklistFiles.Merged blocked,
      List<RegionExposure> regions) {
    out.printf(
        Locale.ROOT,
        "%s %s: syncToken %s (%s), service %s, %d regions, %d IPv4 addresses%n",
        ranges.publisher().wireName(),
        file,
        ranges.syncToken(),
        ranges.createdAt(),
        ranges.service(),
        regions.size(),
        ranges.totalAddresses());
    for (BlocklistFiles.Loaded f : blocked.files()) {
      out.printf(
          Locale.ROOT,
          "blocklist %s:%s: %d entries, %d skipped, %d IPv4 addresses%n",
          f.format(),
          f.source(),
          f.entries(),
          f.skipped(),
          f.ipv4Addresses());
      f.firstErrors().forEach(e -> out.println("  skipped " + e));
    }
    int width =
        Math.max(
            "REGION".length(), regions.stream().mapToInt(r -> r.region().length()).max().orElse(0));
    out.printf(
        Locale.ROOT,
        "%-" + width + "s  %12s  %12s  %8s%n",
        "REGION",
        "ADDRESSES",
        "BLOCKED",
        "BLOCKED%");
    for (RegionExposure r : regions) {
      out.printf(
          Locale.ROOT,
          "%-" + width + "s  %12d  %12d  %8s%n",
          r.region(),
          r.totalAddresses(),
          r.blockedAddresses(),
          percent(r.fraction()));
    }
  }

  private static String json(
      CloudRanges ranges, Path file, BlocklistFiles.Merged blocked, List<RegionExposure> regions) {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.put("provider", ranges.publisher().wireName());
    root.put("file", file.toString());
    root.put("syncToken", ranges.syncToken());
    root.put("createdAt", ranges.createdAt());
    root.put("service", ranges.service());
    ArrayNode lists = root.putArray("blocklists");
    for (BlocklistFiles.Loaded f : blocked.files()) {
      ObjectNode n = lists.addObject();
      n.put("format", f.format());
      n.put("file", f.source());
      n.put("entries", f.entries());
      n.put("skipped", f.skipped());
      n.put("ipv4Addresses", f.ipv4Addresses());
      f.firstErrors().forEach(n.putArray("firstErrors")::add);
    }
    root.put("blockedIpv4Addresses", blocked.index().ipv4Addresses());
    ArrayNode out = root.putArray("regions");
    for (RegionExposure r : regions) {
      ObjectNode n = out.addObject();
      n.put("region", r.region());
      n.put("totalAddresses", r.totalAddresses());
      n.put("blockedAddresses", r.blockedAddresses());
      n.put("blockedFraction", r.fraction());
      n.put("blockedPercent", String.format(Locale.ROOT, "%.2f", r.percent()));
    }
    try {
      return mapper.writeValueAsString(root);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
