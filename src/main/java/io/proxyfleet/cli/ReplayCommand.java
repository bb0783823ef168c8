package io.proxyfleet.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.proxyfleet.api.Durations;
import io.proxyfleet.planner.PlacementView;
import io.proxyfleet.policy.FleetPolicy;
import io.proxyfleet.ranges.CloudRanges;
import io.proxyfleet.ranges.RangePublisher;
import io.proxyfleet.replay.BlockTimeline;
import io.proxyfleet.replay.BlockadeReplay;
import io.proxyfleet.replay.DetectionModel;
import io.proxyfleet.replay.LearningCensor;
import io.proxyfleet.replay.ReplayFleetFile;
import io.proxyfleet.replay.ReplayInputException;
import io.proxyfleet.replay.ReplayReport;
import io.proxyfleet.replay.ReplaySettings;
import io.proxyfleet.replay.TimelineFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Replays a fleet through a real block timeline on a simulated clock and cloud. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Run a fleet through a block timeline on a simulated clock, against a simulated cloud that draws",
      "public IPs from the published ranges, with the operator's own planner and IP assignment.",
      "Reports availability, time to recover after each block event, IPs drawn and rotations."
    })
final class ReplayCommand implements Callable<Integer> {

  @Option(
      names = "--fleet",
      required = true,
      paramLabel = "FILE",
      description = "YAML with one ProxyFleet and optionally the CloudProfiles it names.")
  Path fleetFile;

  @Option(
      names = "--aws",
      paramLabel = "FILE",
      description = "AWS ip-ranges.json: where aws profiles draw public IPs (service EC2).")
  Path aws;

  @Option(
      names = "--gcp",
      paramLabel = "FILE",
      description = "Google cloud.json: where gcp profiles draw public IPs (service Google Cloud).")
  Path gcp;

  @Option(
      names = "--timeline",
      required = true,
      paramLabel = "FILE",
      description =
          "CSV with a header naming a 'cidr' and a time column ('time' or 'reported_at_utc').")
  Path timelineFile;

  @Option(
      names = "--start",
      paramLabel = "ISO",
      description =
          "When the fleet starts (ISO date or date-time, UTC). Default: 1h before the first block event.")
  String start;

  @Option(
      names = "--duration",
      defaultValue = "48h",
      paramLabel = "DURATION",
      description = "Simulated time (Go duration). Default: ${DEFAULT-VALUE}.")
  String duration;

  @Option(
      names = "--period",
      defaultValue = "10s",
      paramLabel = "DURATION",
      description = "Reconcile period. Default: ${DEFAULT-VALUE}.")
  String period;

  @Option(
      names = "--boot-delay",
      defaultValue = "45s",
      paramLabel = "DURATION",
      description = "Instance boot time. Default: ${DEFAULT-VALUE}.")
  String bootDelay;

  @Option(
      names = {"--list-lag", "--detection-delay"},
      defaultValue = "0s",
      paramLabel = "DURATION",
      description =
          "Time from a block event until the operator's blocklist has it (0s = at once). Default: ${DEFAULT-VALUE}.")
  String detectionDelay;

  @Option(
      names = "--detection",
      defaultValue = "lists",
      split = ",",
      paramLabel = "MODE",
      description = {
        "How the operator learns of blocks: lists (the timeline, after --list-lag) or probes (lists plus a vantage",
        "inside probing every published address). lists,probes runs both and prints them side by side. Default: ${DEFAULT-VALUE}."
      })
  List<String> detectionModes;

  @Option(
      names = "--probe-interval",
      paramLabel = "DURATION",
      description =
          "With --detection probes: the vantage's round (its reportInterval). Default: 30s.")
  String probeInterval;

  @Option(
      names = "--confirm-rounds",
      paramLabel = "N",
      description =
          "With --detection probes: failed rounds in a row that make a block, 1-5. Default: the fleet's spec.probes.confirmRounds (2).")
  Integer confirmRounds;

  @Option(
      names = "--range-threshold",
      paramLabel = "N",
      description =
          "With --detection probes: addresses of a /24 found blocked before the /24 is, 1-256. Default: the fleet's spec.probes.rangeThreshold (3).")
  Integer rangeThreshold;

  @Option(
      names = "--censor-learns-after",
      paramLabel = "DURATION",
      description = {
        "Add a censor that blocks every address the fleet publishes this long after first seeing it, in no list.",
        "Default: none (only the timeline blocks)."
      })
  String censorLearnsAfter;

  @Option(
      names = "--censor-range-after",
      paramLabel = "N",
      description =
          "With --censor-learns-after: the censor blocks a whole /24 once it blocked N addresses of it. Default: never.")
  Integer censorRangeAfter;

  @Option(
      names = "--max-draws",
      defaultValue = "10",
      paramLabel = "N",
      description =
          "Addresses a proxy may draw per assignment when the fleet sets no rotation.maxAddressDraws. Default: ${DEFAULT-VALUE}.")
  int maxDraws;

  @Option(
      names = "--subnets",
      defaultValue = "3",
      paramLabel = "N",
      description = "Subnets (zones) per simulated region, 1-26. Default: ${DEFAULT-VALUE}.")
  int subnets;

  @Option(
      names = "--seed",
      defaultValue = "1",
      paramLabel = "N",
      description = "Seed of every random draw. Default: ${DEFAULT-VALUE}.")
  long seed;

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
      if (aws == null && gcp == null) {
        throw new UsageException(
            "give --aws FILE and/or --gcp FILE: the ranges the simulated cloud draws public IPs from");
      }
      // Options first: a typo should not wait for the range files to load.
      List<DetectionModel> detections = detectionModels();
      LearningCensor.Settings censor = censorSettings();
      ReplayFleetFile fleet = readFleet();
      BlockTimeline timeline = readTimeline();
      Map<RangePublisher, CloudRanges> ranges = new LinkedHashMap<>();
      if (aws != null)
        ranges.put(RangePublisher.AWS, RangeFiles.read(RangePublisher.AWS, aws, null));
      if (gcp != null)
        ranges.put(RangePublisher.GCP, RangeFiles.read(RangePublisher.GCP, gcp, null));
      Map<String, CloudRanges> byProfile = rangesByProfile(fleet, ranges);
      ReplaySettings settings =
          new ReplaySettings(
              startTime(timeline),
              duration("--duration", duration),
              duration("--period", period),
              duration("--boot-delay", bootDelay),
              duration("--detection-delay", detectionDelay),
              positive("--max-draws", maxDraws),
              subnetCount(),
              seed);
      List<ReplayReport> reports = new ArrayList<>();
      for (DetectionModel detection : detections) {
        // Same seed for every mode: the runs differ only in how blocks are found.
        reports.add(
            BlockadeReplay.create(fleet.fleet(), byProfile, timeline, settings)
                .censor(censor)
                .detection(detection)
                .run());
      }
      if (reports.size() == 1) {
        out.println(
            output == OutputFormat.json ? json(reports.get(0)) : text(reports.get(0), timeline));
      } else {
        out.println(
            output == OutputFormat.json ? jsonArray(reports) : comparison(reports, timeline));
      }
      out.flush();
      return 0;
    } catch (UsageException e) {
      err.println("proxyfleet replay: " + e.getMessage());
      err.flush();
      return UsageException.EXIT_CODE;
    }
  }

  private List<DetectionModel> detectionModels() throws UsageException {
    List<DetectionModel.Mode> modes = new ArrayList<>();
    for (String m : detectionModes) {
      DetectionModel.Mode mode =
          java.util.Arrays.stream(DetectionModel.Mode.values())
              .filter(x -> x.wireName().equals(m.strip().toLowerCase(Locale.ROOT)))
              .findFirst()
              .orElseThrow(
                  () ->
                      new UsageException(
                          "--detection '"
                              + m
                              + "': use lists, probes, or lists,probes to compare both"));
      if (!modes.contains(mode)) modes.add(mode);
    }
    boolean probes = modes.contains(DetectionModel.Mode.PROBES);
    if (!probes && (probeInterval != null || confirmRounds != null || rangeThreshold != null)) {
      throw new UsageException(
          "--probe-interval, --confirm-rounds and --range-threshold describe the vantage: add --detection probes (or lists,probes)");
    }
    Duration interval =
        probeInterval == null
            ? DetectionModel.DEFAULT_PROBE_INTERVAL
            : duration("--probe-interval", probeInterval);
    if (interval.isZero())
      throw new UsageException("--probe-interval '" + probeInterval + "': must be longer than 0");
    if (confirmRounds != null
        && (confirmRounds < 1
            || confirmRounds > io.proxyfleet.api.VantageResult.MAX_FAILED_ROUNDS)) {
      throw new UsageException(
          "--confirm-rounds "
              + confirmRounds
              + ": use 1 to "
              + io.proxyfleet.api.VantageResult.MAX_FAILED_ROUNDS
              + " (as spec.probes.confirmRounds)");
    }
    if (rangeThreshold != null && (rangeThreshold < 1 || rangeThreshold > 256)) {
      throw new UsageException(
          "--range-threshold " + rangeThreshold + ": use 1 to 256 (as spec.probes.rangeThreshold)");
    }
    List<DetectionModel> out = new ArrayList<>();
    for (DetectionModel.Mode mode : modes) {
      out.add(
          mode == DetectionModel.Mode.PROBES
              ? DetectionModel.probes(interval, confirmRounds, rangeThreshold)
              : DetectionModel.LISTS);
    }
    return out;
  }

  private LearningCensor.Settings censorSettings() throws UsageException {
    if (censorLearnsAfter == null) {
      if (censorRangeAfter != null)
        throw new UsageException(
            "--censor-range-after needs --censor-learns-after DURATION (the censor it extends)");
      return null;
    }
    if (censorRangeAfter != null && (censorRangeAfter < 1 || censorRangeAfter > 256)) {
      throw new UsageException(
          "--censor-range-after " + censorRangeAfter + ": use 1 to 256 addresses of one /24");
    }
    return new LearningCensor.Settings(
        duration("--censor-learns-after", censorLearnsAfter),
        censorRangeAfter == null ? 0 : censorRangeAfter);
  }

  private ReplayFleetFile readFleet() throws UsageException {
    try (InputStream in = Files.newInputStream(fleetFile)) {
      return ReplayFleetFile.read(in);
    } catch (NoSuchFileException e) {
      throw new UsageException("--fleet: file " + fleetFile + " not found");
    } catch (IOException e) {
      throw new UsageException("--fleet: cannot read " + fleetFile + ": " + e.getMessage());
    } catch (ReplayInputException e) {
      throw new UsageException("--fleet " + fleetFile + ": " + e.getMessage());
    }
  }

  private BlockTimeline readTimeline() throws UsageException {
    try (InputStream in = Files.newInputStream(timelineFile)) {
      BlockTimeline timeline = BlockTimeline.read(in);
      if (timeline.events().isEmpty()) {
        throw new UsageException(
            "--timeline "
                + timelineFile
                + ": no readable row ("
                + timeline.skippedRows()
                + " skipped"
                + (timeline.firstErrors().isEmpty()
                    ? ""
                    : ", first: " + timeline.firstErrors().get(0))
                + ")");
      }
      return timeline;
    } catch (NoSuchFileException e) {
      throw new UsageException("--timeline: file " + timelineFile + " not found");
    } catch (IOException e) {
      throw new UsageException("--timeline: cannot read " + timelineFile + ": " + e.getMessage());
    } catch (TimelineFormatException e) {
      throw new UsageException("--timeline " + timelineFile + ": " + e.getMessage());
    }
  }

  /** Each placement's profile draws from the range file of its provider. */
  private Map<String, CloudRanges> rangesByProfile(
      ReplayFleetFile fleet, Map<RangePublisher, CloudRanges> ranges) throws UsageException {
    Map<String, CloudRanges> out = new LinkedHashMap<>();
    for (PlacementView p : FleetPolicy.placements(fleet.fleet().getSpec())) {
      String provider = fleet.providers().get(p.cloudProfile());
      RangePublisher publisher;
      if (provider == null) {
        if (ranges.size() != 1) {
          throw new UsageException(
              "--fleet: cloudProfile '"
                  + p.cloudProfile()
                  + "' has no CloudProfile document in the file; add one with"
                  + " spec.provider (aws or gcp), or give only one of --aws/--gcp");
        }
        publisher = ranges.keySet().iterator().next();
      } else {
        publisher =
            RangePublisher.fromWireName(provider)
                .orElseThrow(
                    () ->
                        new UsageException(
                            "--fleet: CloudProfile '"
                                + p.cloudProfile()
                                + "' has provider '"
                                + provider
                                + "'; a replay simulates aws or gcp"));
      }
      CloudRanges r = ranges.get(publisher);
      if (r == null) {
        throw new UsageException(
            "cloudProfile '"
                + p.cloudProfile()
                + "' is "
                + publisher.wireName()
                + ": give --"
                + publisher.wireName()
                + " FILE");
      }
      for (String region : p.regions()) {
        if (r.region(region).isEmpty()) {
          throw new UsageException(
              "--fleet: region '"
                  + region
                  + "' of cloudProfile '"
                  + p.cloudProfile()
                  + "' has no "
                  + r.service()
                  + " prefixes in the "
                  + publisher.wireName()
                  + " range file; regions there: "
                  + String.join(", ", r.regions().keySet()));
        }
      }
      out.put(p.cloudProfile(), r);
    }
    return out;
  }

  private Instant startTime(BlockTimeline timeline) throws UsageException {
    if (start == null) {
      return timeline.events().get(0).at().minus(Duration.ofHours(1));
    }
    try {
      return BlockTimeline.parseTime(start.strip());
    } catch (DateTimeParseException e) {
      throw new UsageException(
          "--start '" + start + "': use an ISO date or date-time such as 2018-04-16T00:00:00Z");
    }
  }

  private static Duration duration(String option, String value) throws UsageException {
    try {
      Duration d = Durations.parse(value);
      if (option.equals("--duration") || option.equals("--period")) {
        if (d.isZero())
          throw new UsageException(option + " '" + value + "': must be longer than 0");
      }
      return d;
    } catch (IllegalArgumentException e) {
      throw new UsageException(option + " '" + value + "': " + e.getMessage());
    }
  }

  private static int positive(String option, int value) throws UsageException {
    if (value < 1) throw new UsageException(option + " " + value + ": must be at least 1");
    return value;
  }

  private int subnetCount() throws UsageException {
    if (subnets < 1 || subnets > 26)
      throw new UsageException("--subnets " + subnets + ": use 1 to 26");
    return subnets;
  }

  static String human(Duration d) {
    if (d == null) return "-";
    long s = d.toSeconds();
    if (s == 0) return d.toMillis() == 0 ? "0s" : d.toMillis() + "ms";
    StringBuilder b = new StringBuilder();
    if (s >= 3600) b.append(s / 3600).append('h');
    if (s % 3600 >= 60) b.append(s % 3600 / 60).append('m');
    if (s % 60 > 0) b.append(s % 60).append('s');
    return b.toString();
  }

  private static String text(ReplayReport r, BlockTimeline timeline) {
    StringBuilder b = new StringBuilder();
    ReplaySettings s = r.settings();
    b.append(
        String.format(
            Locale.ROOT,
            "replay of fleet %s: %d replicas, onBlocked %s, from %s for %s%n",
            r.fleet(),
            r.replicas(),
            r.onBlocked(),
            s.start(),
            human(s.duration())));
    header(b, r, timeline);
    b.append("detection: ").append(detection(r.detection())).append('\n');
    b.append(
        String.format(
            Locale.ROOT,
            "simulated in %d ms wall time, %d reconcile passes%n",
            r.wallMillis(),
            r.passes()));
    b.append(
        String.format(
            Locale.ROOT,
            "availability: %.4f%% (%.2f of %.2f proxy-hours served on unblocked IPs), warm-up %s%n",
            r.availability() * 100,
            r.servingProxyHours(),
            r.desiredProxyHours(),
            r.warmUp() == null ? "never complete" : human(r.warmUp())));
    ReplayReport.Recovery rec = r.recovery();
    b.append(
        String.format(
            Locale.ROOT,
            "recovery: %d block events hit the fleet, %d recovered (p50 %s, p95 %s, max %s), %d not recovered by the end%n",
            rec.affectedEvents(),
            rec.recovered(),
            human(rec.p50()),
            human(rec.p95()),
            human(rec.max()),
            rec.unrecovered()));
    b.append(
        String.format(
            Locale.ROOT,
            "IPs drawn: %d, blocked draws: %d; IP rotations: %d; instances launched: %d%n",
            r.ipsDrawn(),
            r.blockedDraws(),
            r.ipRotations(),
            r.instancesLaunched()));
    ReplayReport.Detection d = r.detection();
    b.append(
        String.format(
            Locale.ROOT,
            "blocked proxy addresses found: %d by lists, %d by probes (%d of them not blocked: in a learned /24)%n",
            d.foundByLists(),
            d.foundByProbes(),
            d.foundByProbesClean()));
    if (d.censor() != null) {
      long hits = r.steps().stream().filter(x -> !x.censored().isEmpty() && x.affected()).count();
      b.append(
          String.format(
              Locale.ROOT,
              "learning censor: %d addresses and %d /24s blocked; %d of those blocks hit a serving proxy (listed with --output json)%n",
              d.censorAddresses(),
              d.censorRanges(),
              hits));
    }
    b.append("rotations by reason: ").append(counts(r.rotationsByReason())).append('\n');
    b.append("proxies deleted by reason: ").append(counts(r.deletesByReason())).append('\n');
    b.append("proxies failed by reason: ").append(counts(r.failuresByReason())).append('\n');
    b.append("block events:\n");
    b.append(
        String.format(
            Locale.ROOT,
            "  %-20s  %14s  %8s  %8s  %s%n",
            "AT",
            "NEWLY BLOCKED",
            "AFFECTED",
            "RECOVERY",
            "CIDRS"));
    for (ReplayReport.Step step : r.steps()) {
      if (step.cidrs().isEmpty() && !step.censored().isEmpty())
        continue; // the censor's own blocks: one line above
      b.append(
          String.format(
              Locale.ROOT,
              "  %-20s  %14d  %8d  %8s  %s%n",
              step.at(),
              step.newlyBlocked(),
              step.affectedProxies(),
              step.affected() ? (step.recovery() == null ? "never" : human(step.recovery())) : "-",
              step.cidrs().isEmpty()
                  ? "(only ranges reported before)"
                  : String.join(" ", step.cidrs())));
    }
    b.append("at the end:\n");
    int width =
        Math.max(
            "REGION".length(),
            r.finalSpread().stream().mapToInt(x -> x.region().length()).max().orElse(0));
    int pw =
        Math.max(
            "PROFILE".length(),
            r.finalSpread().stream().mapToInt(x -> x.cloudProfile().length()).max().orElse(0));
    b.append(
        String.format(
            Locale.ROOT,
            "  %-" + pw + "s  %-" + width + "s  %7s  %7s  %7s  %10s  %14s%n",
            "PROFILE",
            "REGION",
            "DESIRED",
            "PROXIES",
            "SERVING",
            "ON BLOCKED",
            "REGION BLOCKED"));
    for (ReplayReport.Spread x : r.finalSpread()) {
      String blocked =
          r.finalExposure().stream()
              .filter(e -> e.exposure().region().equals(x.region()))
              .findFirst()
              .map(e -> RangesCommand.percent(e.exposure().fraction()))
              .orElse("-");
      b.append(
          String.format(
              Locale.ROOT,
              "  %-" + pw + "s  %-" + width + "s  %7d  %7d  %7d  %10d  %14s%n",
              x.cloudProfile(),
              x.region(),
              x.desired(),
              x.proxies(),
              x.serving(),
              x.onBlockedIp(),
              blocked));
    }
    return b.toString().stripTrailing();
  }

  private static void header(StringBuilder b, ReplayReport r, BlockTimeline timeline) {
    ReplaySettings s = r.settings();
    b.append(
        String.format(
            Locale.ROOT,
            "settings: period %s, boot delay %s, list lag %s, max draws %d, %d subnets per region, seed %d%n",
            human(s.period()),
            human(s.bootDelay()),
            human(s.detectionDelay()),
            s.maxDraws(),
            s.subnetsPerRegion(),
            s.seed()));
    b.append(
        String.format(
            Locale.ROOT,
            "timeline: %d rows read, %d skipped; %d events in the window%n",
            timeline.rows(),
            timeline.skippedRows(),
            r.timelineEvents()));
    timeline.firstErrors().forEach(e -> b.append("  skipped ").append(e).append('\n'));
    b.append("censor: ").append(censor(r.detection().censor())).append('\n');
  }

  static String censor(LearningCensor.Settings c) {
    if (c == null) return "the timeline only (lists are the truth)";
    return "the timeline, plus a censor blocking each published address "
        + human(c.delay())
        + " after it first sees it"
        + (c.rangeAfter() > 0
            ? ", and its /24 once " + c.rangeAfter() + " of the /24 are blocked"
            : "");
  }

  static String detection(ReplayReport.Detection d) {
    if (d.probeInterval() == null)
      return "lists only, " + human(d.listLag()) + " after each report";
    return "lists ("
        + human(d.listLag())
        + " after each report) plus a vantage probing running addresses every "
        + human(d.probeInterval())
        + ", blocked after "
        + d.confirmRounds()
        + " failed rounds, /24 learned after "
        + d.rangeThreshold()
        + " addresses";
  }

  /** Several detection modes on one fleet, timeline and seed, side by side. */
  private static String comparison(List<ReplayReport> reports, BlockTimeline timeline) {
    StringBuilder b = new StringBuilder();
    ReplayReport first = reports.get(0);
    b.append(
        String.format(
            Locale.ROOT,
            "replay of fleet %s: %d replicas, onBlocked %s, from %s for %s%n",
            first.fleet(),
            first.replicas(),
            first.onBlocked(),
            first.settings().start(),
            human(first.settings().duration())));
    header(b, first, timeline);
    reports.forEach(
        r ->
            b.append("detection ")
                .append(r.detection().mode())
                .append(": ")
                .append(detection(r.detection()))
                .append('\n'));
    List<String[]> rows = new ArrayList<>();
    rows.add(row(reports, "DETECTION", r -> r.detection().mode()));
    rows.add(
        row(
            reports,
            "availability",
            r -> String.format(Locale.ROOT, "%.4f%%", r.availability() * 100)));
    rows.add(
        row(reports, "warm-up", r -> r.warmUp() == null ? "never complete" : human(r.warmUp())));
    rows.add(
        row(
            reports,
            "block events hit the fleet",
            r -> String.valueOf(r.recovery().affectedEvents())));
    rows.add(
        row(
            reports,
            "recovered / not by the end",
            r -> r.recovery().recovered() + " / " + r.recovery().unrecovered()));
    rows.add(
        row(
            reports,
            "recovery p50 / p95 / max",
            r ->
                human(r.recovery().p50())
                    + " / "
                    + human(r.recovery().p95())
                    + " / "
                    + human(r.recovery().max())));
    rows.add(row(reports, "found by lists", r -> String.valueOf(r.detection().foundByLists())));
    rows.add(
        row(
            reports,
            "found by probes (not blocked)",
            r -> r.detection().foundByProbes() + " (" + r.detection().foundByProbesClean() + ")"));
    rows.add(
        row(
            reports,
            "censor blocks: addresses, /24s",
            r -> r.detection().censorAddresses() + ", " + r.detection().censorRanges()));
    rows.add(
        row(reports, "IPs drawn (blocked)", r -> r.ipsDrawn() + " (" + r.blockedDraws() + ")"));
    rows.add(row(reports, "IP rotations", r -> String.valueOf(r.ipRotations())));
    rows.add(row(reports, "instances launched", r -> String.valueOf(r.instancesLaunched())));
    rows.add(
        row(
            reports,
            "proxies on a blocked IP at the end",
            r ->
                String.valueOf(
                    r.finalSpread().stream().mapToInt(ReplayReport.Spread::onBlockedIp).sum())));
    rows.add(row(reports, "probe rounds", r -> String.valueOf(r.detection().probeRounds())));
    rows.add(row(reports, "wall time", r -> r.wallMillis() + " ms"));
    int label = rows.stream().mapToInt(x -> x[0].length()).max().orElse(0);
    int[] widths = new int[reports.size()];
    for (String[] row : rows) {
      for (int i = 1; i < row.length; i++) widths[i - 1] = Math.max(widths[i - 1], row[i].length());
    }
    for (String[] row : rows) {
      b.append(String.format(Locale.ROOT, "  %-" + label + "s", row[0]));
      for (int i = 1; i < row.length; i++)
        b.append(String.format(Locale.ROOT, "  %" + widths[i - 1] + "s", row[i]));
      b.append('\n');
    }
    return b.toString().stripTrailing();
  }

  private static String[] row(
      List<ReplayReport> reports,
      String label,
      java.util.function.Function<ReplayReport, String> cell) {
    String[] row = new String[reports.size() + 1];
    row[0] = label;
    for (int i = 0; i < reports.size(); i++) row[i + 1] = cell.apply(reports.get(i));
    return row;
  }

  private static String counts(Map<String, Long> counts) {
    return counts.isEmpty()
        ? "none"
        : counts.entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue())
            .collect(Collectors.joining(", "));
  }

  private static String json(ReplayReport r) {
    return write(jsonNode(r));
  }

  private static String jsonArray(List<ReplayReport> reports) {
    ArrayNode all = MAPPER.createArrayNode();
    reports.forEach(r -> all.add(jsonNode(r)));
    return write(all);
  }

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private static String write(com.fasterxml.jackson.databind.JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ObjectNode jsonNode(ReplayReport r) {
    ObjectMapper mapper = MAPPER;
    ObjectNode root = mapper.createObjectNode();
    root.put("fleet", r.fleet());
    root.put("replicas", r.replicas());
    root.put("onBlocked", r.onBlocked());
    ReplaySettings s = r.settings();
    ObjectNode settings = root.putObject("settings");
    settings.put("start", s.start().toString());
    settings.put("end", r.end().toString());
    settings.put("durationSeconds", s.duration().toSeconds());
    settings.put("periodSeconds", s.period().toMillis() / 1000.0);
    settings.put("bootDelaySeconds", s.bootDelay().toMillis() / 1000.0);
    settings.put("detectionDelaySeconds", s.detectionDelay().toMillis() / 1000.0);
    settings.put("maxDraws", s.maxDraws());
    settings.put("subnetsPerRegion", s.subnetsPerRegion());
    settings.put("seed", s.seed());
    ReplayReport.Detection d = r.detection();
    ObjectNode detection = root.putObject("detection");
    detection.put("mode", d.mode());
    detection.put("listLagSeconds", d.listLag().toMillis() / 1000.0);
    putSeconds(detection, "probeIntervalSeconds", d.probeInterval());
    detection.put("confirmRounds", d.confirmRounds());
    detection.put("rangeThreshold", d.rangeThreshold());
    detection.put("probeRounds", d.probeRounds());
    detection.put("foundByLists", d.foundByLists());
    detection.put("foundByProbes", d.foundByProbes());
    detection.put("foundByProbesNotBlocked", d.foundByProbesClean());
    if (d.censor() == null) {
      root.putNull("censor");
    } else {
      ObjectNode censor = root.putObject("censor");
      censor.put("learnsAfterSeconds", d.censor().delay().toMillis() / 1000.0);
      censor.put("rangeAfter", d.censor().rangeAfter());
      censor.put("addressesBlocked", d.censorAddresses());
      censor.put("rangesBlocked", d.censorRanges());
    }
    root.put("timelineEvents", r.timelineEvents());
    root.put("passes", r.passes());
    root.put("wallMillis", r.wallMillis());
    if (r.warmUp() == null) root.putNull("warmUpSeconds");
    else root.put("warmUpSeconds", r.warmUp().toMillis() / 1000.0);
    root.put("availability", r.availability());
    root.put("servingProxyHours", r.servingProxyHours());
    root.put("desiredProxyHours", r.desiredProxyHours());
    ObjectNode rec = root.putObject("recovery");
    rec.put("affectedEvents", r.recovery().affectedEvents());
    rec.put("recovered", r.recovery().recovered());
    rec.put("unrecovered", r.recovery().unrecovered());
    putSeconds(rec, "p50Seconds", r.recovery().p50());
    putSeconds(rec, "p95Seconds", r.recovery().p95());
    putSeconds(rec, "maxSeconds", r.recovery().max());
    ObjectNode ips = root.putObject("ips");
    ips.put("drawn", r.ipsDrawn());
    ips.put("blockedDraws", r.blockedDraws());
    ips.put("rotations", r.ipRotations());
    root.put("instancesLaunched", r.instancesLaunched());
    ObjectNode rotations = root.putObject("rotationsByReason");
    r.rotationsByReason().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> rotations.put(e.getKey(), e.getValue()));
    ObjectNode deletes = root.putObject("deletesByReason");
    r.deletesByReason().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> deletes.put(e.getKey(), e.getValue()));
    ObjectNode failures = root.putObject("failuresByReason");
    r.failuresByReason().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> failures.put(e.getKey(), e.getValue()));
    ArrayNode steps = root.putArray("blockEvents");
    for (ReplayReport.Step step : r.steps()) {
      ObjectNode n = steps.addObject();
      n.put("at", step.at().toString());
      step.cidrs().forEach(n.putArray("cidrs")::add);
      step.censored().forEach(n.putArray("censored")::add);
      n.put("newlyBlockedAddresses", step.newlyBlocked());
      n.put("affectedProxies", step.affectedProxies());
      putSeconds(n, "recoverySeconds", step.recovery());
    }
    ArrayNode spread = root.putArray("finalSpread");
    for (ReplayReport.Spread x : r.finalSpread()) {
      ObjectNode n = spread.addObject();
      n.put("cloudProfile", x.cloudProfile());
      n.put("region", x.region());
      n.put("desired", x.desired());
      n.put("proxies", x.proxies());
      n.put("serving", x.serving());
      n.put("onBlockedIp", x.onBlockedIp());
    }
    ArrayNode exposure = root.putArray("finalRegionExposure");
    for (ReplayReport.Exposure e : r.finalExposure()) {
      ObjectNode n = exposure.addObject();
      n.put("provider", e.provider());
      n.put("region", e.exposure().region());
      n.put("totalAddresses", e.exposure().totalAddresses());
      n.put("blockedAddresses", e.exposure().blockedAddresses());
      n.put("blockedFraction", e.exposure().fraction());
    }
    return root;
  }

  private static void putSeconds(ObjectNode node, String field, Duration d) {
    if (d == null) node.putNull(field);
    else node.put(field, d.toMillis() / 1000.0);
  }
}
